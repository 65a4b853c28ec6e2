"""The NAS-Bench-201 cell space: 6 edges of a 4-node DAG, each one of 5 operations.

Edge order everywhere in this package is (0,1), (0,2), (0,3), (1,2), (1,3), (2,3), the
order of SpikeNAS-Bench's ``ops`` array. Three other orders meet this space and each has its
own method here, so nothing downstream mixes them up:

* ``index``: base-5 number with edge (0,1) as the least significant digit; equals the
  ``arch_id`` of SpikeNAS-Bench ``curves.npz`` (checked against the data).
* ``to_key``: 6-digit string, one digit per edge in the *arch-string* order
  (0,1), (0,2), (1,2), (0,3), (1,3), (2,3); the keys of the ``nb201-final-3seeds`` pickles
  (checked against the data: cells whose output node is cut off score 10 % only under this order).
* ``to_str``: the NAS-Bench-201 string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``, node by node.

This is *not* the NAS-Bench-201/NATS-Bench API index (their ``meta_archs`` order); loaders of
that format map through the arch string instead. Cells whose output is disconnected from the
input (every path crosses a ``none``) are members of the space: the benchmarks contain them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from nasx11_env.errors import InvalidArchitectureError
from nasx11_env.spaces.base import SearchSpace

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
N_OPS = len(OPS)
N_EDGES = len(EDGES)
SIZE = N_OPS**N_EDGES

# Edge positions (into EDGES) in the order the arch string and the pickle keys list them.
STRING_ORDER: tuple[int, ...] = tuple(EDGES.index((i, j)) for j in range(1, 4) for i in range(j))
_EDGE_POS = {edge: k for k, edge in enumerate(EDGES)}

# Paths from node 0 to node 3, as edge positions; BANANAS paths are op sequences along them.
PATHS: tuple[tuple[int, ...], ...] = (
    (_EDGE_POS[(0, 3)],),
    (_EDGE_POS[(0, 1)], _EDGE_POS[(1, 3)]),
    (_EDGE_POS[(0, 2)], _EDGE_POS[(2, 3)]),
    (_EDGE_POS[(0, 1)], _EDGE_POS[(1, 2)], _EDGE_POS[(2, 3)]),
)
_PATH_OPS = N_OPS - 1  # ops a path may carry: all but 'none'
_PATH_OFFSETS = {1: 0, 2: _PATH_OPS, 3: _PATH_OPS + _PATH_OPS**2}
PATH_ENCODING_LENGTH = _PATH_OPS + _PATH_OPS**2 + _PATH_OPS**3  # 4 + 16 + 64 = 84


@dataclass(frozen=True)
class NB201Arch:
    """One cell: ``ops[k]`` is the index into ``OPS`` of the operation on ``EDGES[k]``."""

    ops: tuple[int, ...]

    def __post_init__(self) -> None:
        ops = self.ops
        if (
            not isinstance(ops, tuple)
            or len(ops) != N_EDGES
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in ops)
            or not all(0 <= o < N_OPS for o in ops)
        ):
            raise InvalidArchitectureError(
                f"NB201Arch needs a tuple of {N_EDGES} op indices in 0..{N_OPS - 1}, got {ops!r}"
            )

    @classmethod
    def from_ops(cls, ops: object) -> NB201Arch:
        """Build from any sequence of integers (numpy integer arrays included)."""
        try:
            items = list(ops)  # type: ignore[call-overload]
        except TypeError:
            raise InvalidArchitectureError(f"not a sequence of op indices: {ops!r}") from None
        if not all(isinstance(o, (int, np.integer)) and not isinstance(o, bool) for o in items):
            raise InvalidArchitectureError(f"op indices must be integers: {ops!r}")
        return cls(tuple(int(o) for o in items))


class NB201Space(SearchSpace[NB201Arch]):
    """NAS-Bench-201 cells: 5**6 = 15,625 architectures, uniform sampling, single-op moves.

    Encodings: ``onehot`` (30 = 6 edges x 5 ops, edge-major in ``EDGES`` order),
    ``categorical`` (the 6 op indices, the surrogate input of NAS-Bench-x11's NB201 port) and
    ``path`` (BANANAS: one bit per op sequence along an input-to-output path; paths through a
    ``none`` edge carry no signal and are left out, so the 4 non-``none`` ops give
    4 + 16 + 64 = 84 bits for the path lengths 1, 2, 3). The path encoding is not injective:
    for instance every disconnected cell maps to the zero vector.
    """

    name = "nb201"
    encodings = ("onehot", "categorical", "path")

    @property
    def size(self) -> int:
        return SIZE

    def sample(self, rng: np.random.Generator) -> NB201Arch:
        return NB201Arch.from_ops(rng.integers(0, N_OPS, size=N_EDGES))

    def mutate(self, arch: NB201Arch, rng: np.random.Generator) -> NB201Arch:
        """Change the op of one uniformly chosen edge to one of the 4 other ops."""
        self.check(arch)
        edge = int(rng.integers(N_EDGES))
        new_op = (arch.ops[edge] + 1 + int(rng.integers(N_OPS - 1))) % N_OPS
        return _replace(arch, edge, new_op)

    def neighbours(self, arch: NB201Arch) -> list[NB201Arch]:
        """The 24 single-op changes, edge by edge, ops in increasing index."""
        self.check(arch)
        return [
            _replace(arch, edge, op)
            for edge in range(N_EDGES)
            for op in range(N_OPS)
            if op != arch.ops[edge]
        ]

    def is_valid(self, arch: object) -> bool:
        # NB201Arch validates itself on construction; every such cell is in the space.
        return isinstance(arch, NB201Arch)

    def to_str(self, arch: NB201Arch) -> str:
        self.check(arch)
        nodes = []
        for j in range(1, 4):
            inputs = [f"{OPS[arch.ops[_EDGE_POS[(i, j)]]]}~{i}" for i in range(j)]
            nodes.append("|" + "|".join(inputs) + "|")
        return "+".join(nodes)

    def from_str(self, text: str) -> NB201Arch:
        """Parse ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``; inputs of a node in any order."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"an NB201 arch string must be a str, got {text!r}")
        nodes = text.strip().split("+")
        if len(nodes) != 3:
            raise InvalidArchitectureError(f"NB201 string needs 3 nodes joined by '+': {text!r}")
        ops = [0] * N_EDGES
        for j, node in enumerate(nodes, start=1):
            if not (node.startswith("|") and node.endswith("|")):
                raise InvalidArchitectureError(f"node {j} must be wrapped in '|': {text!r}")
            entries = node[1:-1].split("|")
            seen: set[int] = set()
            for entry in entries:
                op_name, sep, source = entry.partition("~")
                if not sep or op_name not in OPS or not source.isdigit():
                    raise InvalidArchitectureError(f"bad entry {entry!r} in node {j} of {text!r}")
                i = int(source)
                if i >= j or i in seen:
                    raise InvalidArchitectureError(
                        f"node {j} lists input {i} twice or from a later node: {text!r}"
                    )
                seen.add(i)
                ops[_EDGE_POS[(i, j)]] = OPS.index(op_name)
            if len(seen) != j:
                raise InvalidArchitectureError(f"node {j} needs inputs 0..{j - 1}: {text!r}")
        return NB201Arch(tuple(ops))

    def index(self, arch: NB201Arch) -> int:
        """Base-5 number, edge (0,1) least significant: SpikeNAS-Bench's ``arch_id``."""
        self.check(arch)
        return sum(op * N_OPS**k for k, op in enumerate(arch.ops))

    def from_index(self, index: int) -> NB201Arch:
        """Inverse of :meth:`index`."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise InvalidArchitectureError(f"an NB201 index must be an integer, got {index!r}")
        if not 0 <= index < SIZE:
            raise InvalidArchitectureError(f"NB201 index {index} outside 0..{SIZE - 1}")
        value = int(index)
        ops = []
        for _ in range(N_EDGES):
            value, op = divmod(value, N_OPS)
            ops.append(op)
        return NB201Arch(tuple(ops))

    def to_key(self, arch: NB201Arch) -> str:
        """6-digit key of the ``nb201-final-3seeds`` pickles: ops in arch-string edge order."""
        self.check(arch)
        return "".join(str(arch.ops[k]) for k in STRING_ORDER)

    def from_key(self, key: str) -> NB201Arch:
        """Inverse of :meth:`to_key`."""
        if not (isinstance(key, str) and len(key) == N_EDGES and set(key) <= set("01234")):
            raise InvalidArchitectureError(f"an NB201 key is 6 digits 0..4, got {key!r}")
        ops = [0] * N_EDGES
        for digit, k in zip(key, STRING_ORDER, strict=True):
            ops[k] = int(digit)
        return NB201Arch(tuple(ops))

    def all_archs(self) -> list[NB201Arch]:
        """Every cell, in :meth:`index` order."""
        return [NB201Arch(tuple(reversed(ops))) for ops in product(range(N_OPS), repeat=N_EDGES)]

    def encode(self, arch: NB201Arch, encoding: str | None = None) -> np.ndarray:
        self.check(arch)
        kind = self._resolve_encoding(encoding)
        if kind == "categorical":
            return np.asarray(arch.ops, dtype=np.float64)
        if kind == "onehot":
            vector = np.zeros(N_EDGES * N_OPS)
            vector[np.arange(N_EDGES) * N_OPS + np.asarray(arch.ops)] = 1.0
            return vector
        return _path_encoding(arch)


def _replace(arch: NB201Arch, edge: int, op: int) -> NB201Arch:
    ops = list(arch.ops)
    ops[edge] = op
    return NB201Arch(tuple(ops))


def _path_encoding(arch: NB201Arch) -> np.ndarray:
    vector = np.zeros(PATH_ENCODING_LENGTH)
    for path in PATHS:
        ops = [arch.ops[k] for k in path]
        if 0 in ops:  # a 'none' edge cuts the path
            continue
        position = 0
        for op in ops:
            position = position * _PATH_OPS + (op - 1)
        vector[_PATH_OFFSETS[len(ops)] + position] = 1.0
    return vector


__all__ = [
    "EDGES",
    "OPS",
    "PATHS",
    "PATH_ENCODING_LENGTH",
    "SIZE",
    "STRING_ORDER",
    "NB201Arch",
    "NB201Space",
]
