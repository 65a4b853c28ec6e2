"""The NAS-Bench-101 cell space (NB101 / NB111).

A cell is a DAG of at most 7 vertices: ``input``, up to 5 operations from
{conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3} and ``output``, given by an upper-triangular
0/1 adjacency matrix. A spec is valid when, after pruning every vertex that is not on an
input->output path, input still reaches output and at most 9 edges remain.

Architectures are stored in canonical form: pruned, then with the intermediate vertices in
the topological order that minimises (op labels, adjacency bits). Isomorphic cells therefore
have the same :class:`NB101Arch` and compare equal; :meth:`NB101Space.graph_hash` gives the
NAS-Bench-101 module hash, the key of the official data files.

Encodings work on the x11 7-vertex layout (:meth:`NB101Space.padded`): the pruned cell's
first ``n - 1`` vertices keep their index, output moves to index 6, and the empty slots in
between carry conv3x3 with no edges. The raw sampled matrix is never encoded (an x11 bug).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np

from nasx11_env.errors import InvalidArchitectureError
from nasx11_env.spaces.base import SearchSpace

INPUT = "input"
OUTPUT = "output"
CONV3X3 = "conv3x3-bn-relu"
CONV1X1 = "conv1x1-bn-relu"
MAXPOOL3X3 = "maxpool3x3"
# NAS-Bench-101's canonical op order: an op's index here is its label in the graph hash.
OPS: tuple[str, ...] = (CONV3X3, CONV1X1, MAXPOOL3X3)
MAX_VERTICES = 7
MAX_EDGES = 9
N_SLOTS = MAX_VERTICES - 2
UPPER = tuple(combinations(range(MAX_VERTICES), 2))  # the 21 (i, j), i < j, row-major
_UPPER_INDEX = np.triu_indices(MAX_VERTICES, k=1)  # the same 21 positions, as index arrays
NUM_UNIQUE_CELLS = 423_624

_LABEL = {op: i for i, op in enumerate(OPS)}
_HASH_LABEL = {INPUT: -1, OUTPUT: -2, **_LABEL}  # NAS-Bench-101's integer vertex labels
_ADJ_OP_VALUE = {CONV1X1: 0.0, CONV3X3: 0.5, MAXPOOL3X3: 1.0}  # x11 encode_adj values
_N_PATHS = sum(len(OPS) ** k for k in range(N_SLOTS + 1))  # 364

Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class NB101Arch:
    """A pruned, canonical NB101 cell: ``n x n`` adjacency and ``n`` op names.

    ``ops`` starts with ``"input"`` and ends with ``"output"``. Build one with
    :meth:`NB101Space.from_spec`, which prunes, validates and canonicalises; isomorphic cells
    give equal objects.
    """

    matrix: Matrix
    ops: tuple[str, ...]

    @property
    def n_vertices(self) -> int:
        """Vertices of the pruned cell, input and output included."""
        return len(self.ops)

    @property
    def n_edges(self) -> int:
        """Edges of the pruned cell."""
        return sum(map(sum, self.matrix))


def ops_from_labels(labels: Sequence[int]) -> tuple[str, ...]:
    """Op names from NAS-Bench-101 integer labels (-1 input, -2 output, 0..2 index into OPS)."""
    names = {label: op for op, label in _HASH_LABEL.items()}
    try:
        return tuple(names[int(label)] for label in labels)
    except (KeyError, TypeError, ValueError):
        raise InvalidArchitectureError(f"unknown NB101 op labels {labels!r}") from None


def _checked_spec(matrix: object, ops: object) -> tuple[list[list[int]], list[str]]:
    """Matrix as lists of 0/1 ints and ops as names, or ``InvalidArchitectureError``."""
    try:
        array = np.asarray(matrix)
    except (TypeError, ValueError):
        raise InvalidArchitectureError(f"NB101 matrix is not a matrix: {matrix!r}") from None
    n = array.shape[0] if array.ndim == 2 else -1
    if array.ndim != 2 or array.shape != (n, n) or not 2 <= n <= MAX_VERTICES:
        raise InvalidArchitectureError(
            f"NB101 matrix must be square with 2..{MAX_VERTICES} vertices, got shape {array.shape}"
        )
    if array.dtype == bool:
        array = array.astype(np.int64)
    if not np.isin(array, (0, 1)).all():
        raise InvalidArchitectureError(f"NB101 matrix entries must be 0 or 1: {array.tolist()}")
    if np.tril(array).any():
        raise InvalidArchitectureError(
            f"NB101 matrix must be strictly upper triangular: {array.tolist()}"
        )
    if isinstance(ops, str) or not isinstance(ops, Sequence) or len(ops) != n:
        raise InvalidArchitectureError(f"NB101 ops must be a sequence of {n} op names: {ops!r}")
    if ops[0] != INPUT or ops[-1] != OUTPUT:
        raise InvalidArchitectureError(f"NB101 ops must run from input to output: {ops!r}")
    unknown = [op for op in ops[1:-1] if not isinstance(op, str) or op not in _LABEL]
    if unknown:
        raise InvalidArchitectureError(f"unknown NB101 ops {unknown!r}; choose from {OPS}")
    return array.astype(int).tolist(), [str(op) for op in ops]


def _prune(matrix: list[list[int]], ops: list[str]) -> tuple[list[list[int]], list[str]] | None:
    """Keep only vertices on an input->output path; ``None`` if output is unreachable."""
    n = len(matrix)
    forward = {0}
    for i in range(n):
        if i in forward:
            forward.update(j for j in range(i + 1, n) if matrix[i][j])
    if n - 1 not in forward:
        return None
    backward = {n - 1}
    for j in range(n - 1, -1, -1):
        if j in backward:
            backward.update(i for i in range(j) if matrix[i][j])
    keep = sorted(forward & backward)
    return [[matrix[i][j] for j in keep] for i in keep], [ops[i] for i in keep]


def _topological_orders(matrix: list[list[int]]) -> Iterator[list[int]]:
    """Every ordering of the intermediate vertices that keeps all edges pointing forward."""
    n = len(matrix)
    middle = range(1, n - 1)
    preds = {v: {u for u in middle if matrix[u][v]} for v in middle}

    def extend(order: list[int], placed: set[int]) -> Iterator[list[int]]:
        if len(order) == n - 2:
            yield order
            return
        for v in middle:
            if v not in placed and preds[v] <= placed:
                yield from extend([*order, v], placed | {v})

    yield from extend([], set())


def _canonical(matrix: list[list[int]], ops: list[str]) -> NB101Arch:
    """The isomorphism-invariant representative of a pruned cell."""
    n = len(matrix)
    best: tuple[tuple[int, ...], tuple[int, ...]] | None = None
    best_order: list[int] = []
    for middle in _topological_orders(matrix):
        order = [0, *middle, n - 1]
        key = (
            tuple(_LABEL[ops[v]] for v in middle),
            tuple(matrix[order[i]][order[j]] for i in range(n) for j in range(i + 1, n)),
        )
        if best is None or key < best:
            best, best_order = key, order
    return NB101Arch(
        matrix=tuple(tuple(matrix[u][v] for v in best_order) for u in best_order),
        ops=tuple(ops[v] for v in best_order),
    )


def _arch_from_checked(matrix: list[list[int]], ops: list[str]) -> NB101Arch:
    pruned = _prune(matrix, ops)
    if pruned is None:
        raise InvalidArchitectureError(f"NB101 cell has no input->output path: {matrix!r}")
    edges = sum(map(sum, pruned[0]))
    if edges > MAX_EDGES:
        raise InvalidArchitectureError(
            f"NB101 cell has {edges} edges after pruning, at most {MAX_EDGES} allowed"
        )
    return _canonical(*pruned)


@lru_cache(maxsize=1 << 16)
def _module_hash(matrix: Matrix, ops: tuple[str, ...]) -> str:
    """NAS-Bench-101's module hash: iterated md5 of degrees, labels and neighbour hashes."""
    n = len(ops)
    preds = [[u for u in range(n) if matrix[u][v]] for v in range(n)]
    succs = [[w for w in range(n) if matrix[v][w]] for v in range(n)]
    hashes = [_md5(str((len(succs[v]), len(preds[v]), _HASH_LABEL[ops[v]]))) for v in range(n)]
    for _ in range(n):
        hashes = [
            _md5(
                "".join(sorted([hashes[u] for u in preds[v]]))
                + "|"
                + "".join(sorted([hashes[w] for w in succs[v]]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5(str(sorted(hashes)))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _paths(arch: NB101Arch) -> list[tuple[str, ...]]:
    """Op sequences of all input->output paths (the input and output themselves excluded)."""
    n = arch.n_vertices
    reaching: list[list[tuple[str, ...]]] = [[] for _ in range(n)]
    reaching[0] = [()]
    for v in range(1, n):
        for u in range(v):
            if arch.matrix[u][v]:
                step = () if u == 0 else (arch.ops[u],)
                reaching[v].extend(path + step for path in reaching[u])
    return reaching[n - 1]


def _path_index(path: tuple[str, ...]) -> int:
    """Bijective base-3 index: the empty path is 0, then all length-1 paths, length-2, ..."""
    return sum(len(OPS) ** k * (_LABEL[op] + 1) for k, op in enumerate(path))


class NB101Space(SearchSpace[NB101Arch]):
    """NAS-Bench-101 cells with NASLib's sampler, mutation and neighbourhood."""

    name = "nb101"
    encodings = ("adjacency", "onehot", "path")

    def from_spec(self, matrix: object, ops: Sequence[str]) -> NB101Arch:
        """Prune, validate and canonicalise a raw ``n x n`` spec (``n <= 7``) into an arch."""
        return _arch_from_checked(*_checked_spec(matrix, ops))

    def graph_hash(self, arch: NB101Arch) -> str:
        """The NAS-Bench-101 module hash (md5 hex) of ``arch``; isomorphic cells share it."""
        return _module_hash(arch.matrix, arch.ops)

    def padded(self, arch: NB101Arch) -> tuple[np.ndarray, list[str]]:
        """The x11 7-vertex layout: output at index 6, empty slots hold conv3x3, no edges."""
        n = arch.n_vertices
        index = [*range(n - 1), MAX_VERTICES - 1]
        matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int64)
        matrix[np.ix_(index, index)] = arch.matrix
        ops = [*arch.ops[:-1], *[CONV3X3] * (MAX_VERTICES - n), OUTPUT]
        return matrix, ops

    def _from_raw(self, matrix: np.ndarray, ops: list[str]) -> NB101Arch | None:
        """Arch of an in-space 7x7 spec, or ``None`` when pruning leaves it invalid."""
        try:
            return _arch_from_checked(matrix.tolist(), ops)
        except InvalidArchitectureError:
            return None

    def sample(self, rng: np.random.Generator) -> NB101Arch:
        """Each upper-triangular bit Bernoulli(0.5), ops uniform; reject until valid."""
        while True:
            matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int64)
            matrix[_UPPER_INDEX] = rng.integers(0, 2, size=len(UPPER))
            middle = [OPS[i] for i in rng.integers(0, len(OPS), size=N_SLOTS)]
            arch = self._from_raw(matrix, [INPUT, *middle, OUTPUT])
            if arch is not None:
                return arch

    def mutate(self, arch: NB101Arch, rng: np.random.Generator) -> NB101Arch:
        """Flip each edge with p=1/7, change each op with p=1/3; until valid and different.

        Works on the padded 7x7 layout. "Different" is inequality of canonical forms, which
        in this space coincides with a different graph hash.
        """
        self.check(arch)
        base_matrix, base_ops = self.padded(arch)
        while True:
            matrix = base_matrix.copy()
            flips = rng.random(len(UPPER)) < 1.0 / MAX_VERTICES
            matrix[_UPPER_INDEX] ^= flips
            ops = list(base_ops)
            for slot in range(1, MAX_VERTICES - 1):
                if rng.random() < 1.0 / len(OPS):
                    others = [op for op in OPS if op != ops[slot]]
                    ops[slot] = others[int(rng.integers(len(others)))]
            child = self._from_raw(matrix, ops)
            if child is not None and child != arch:
                return child

    def neighbours(self, arch: NB101Arch) -> list[NB101Arch]:
        """Valid cells one op change or one edge flip away (padded layout), deduplicated.

        Order: op changes by slot then op (OPS order), then edge flips in row-major order;
        the first occurrence of each distinct cell is kept and ``arch`` itself is left out.
        """
        self.check(arch)
        base_matrix, base_ops = self.padded(arch)
        candidates: list[tuple[np.ndarray, list[str]]] = []
        for slot in range(1, MAX_VERTICES - 1):
            for op in OPS:
                if op != base_ops[slot]:
                    candidates.append((base_matrix, [*base_ops[:slot], op, *base_ops[slot + 1 :]]))
        for i, j in UPPER:
            matrix = base_matrix.copy()
            matrix[i, j] = 1 - matrix[i, j]
            candidates.append((matrix, base_ops))
        seen = {arch}
        result = []
        for matrix, ops in candidates:
            child = self._from_raw(matrix, ops)
            if child is not None and child not in seen:
                seen.add(child)
                result.append(child)
        return result

    def is_valid(self, arch: object) -> bool:
        """An :class:`NB101Arch` that is valid, pruned and already in canonical form."""
        if not isinstance(arch, NB101Arch):
            return False
        try:
            return self.from_spec(arch.matrix, arch.ops) == arch
        except InvalidArchitectureError:
            return False

    def to_str(self, arch: NB101Arch) -> str:
        """``"<rows of 0/1 joined by |>;<op names joined by ,>"``, e.g. ``01|00;input,output``."""
        rows = "|".join("".join(str(bit) for bit in row) for row in arch.matrix)
        return f"{rows};{','.join(arch.ops)}"

    def from_str(self, text: str) -> NB101Arch:
        """Parse :meth:`to_str` output (or any valid raw spec in that format)."""
        if not isinstance(text, str) or text.count(";") != 1:
            raise InvalidArchitectureError(f"NB101 string must be 'rows;ops': {text!r}")
        rows_text, ops_text = text.strip().split(";")
        rows = rows_text.split("|")
        if any(len(row) != len(rows) or set(row) - {"0", "1"} for row in rows):
            raise InvalidArchitectureError(
                f"NB101 string rows must be {len(rows)} strings of {len(rows)} 0/1 digits: {text!r}"
            )
        matrix = [[int(bit) for bit in row] for row in rows]
        return self.from_spec(matrix, ops_text.split(","))

    def encode(self, arch: NB101Arch, encoding: str | None = None) -> np.ndarray:
        """``adjacency`` (26), ``onehot`` (36) or ``path`` (364) vector of the pruned cell.

        adjacency: x11's ``encode_adj``: 21 upper-triangular bits of the padded 7x7 matrix,
        then 5 op slots (conv1x1 0, conv3x3 0.5, maxpool3x3 1; empty slots read conv3x3).
        onehot: the same 21 bits, then per slot a one-hot over OPS (empty slots all zero).
        path: BANANAS, one bit per possible input->output op sequence (3^0 + ... + 3^5).
        """
        encoding = self._resolve_encoding(encoding)
        if encoding == "path":
            vector = np.zeros(_N_PATHS)
            vector[[_path_index(path) for path in _paths(arch)]] = 1.0
            return vector
        matrix, ops = self.padded(arch)
        bits = matrix[_UPPER_INDEX].astype(np.float64)
        if encoding == "adjacency":
            return np.concatenate([bits, [_ADJ_OP_VALUE[op] for op in ops[1:-1]]])
        onehot = np.zeros((N_SLOTS, len(OPS)))
        for slot, op in enumerate(arch.ops[1:-1]):
            onehot[slot, _LABEL[op]] = 1.0
        return np.concatenate([bits, onehot.ravel()])

    @property
    def size(self) -> int:
        """423,624 distinct cells (NAS-Bench-101's count of unique graphs)."""
        return NUM_UNIQUE_CELLS

    @property
    def size_note(self) -> str:
        return (
            "number of unique (non-isomorphic) valid cells, as counted by NAS-Bench-101 "
            "(Ying et al. 2019); isomorphic specs are one architecture here"
        )
