"""The DARTS cell space of NAS-Bench-301 (NB311 in NAS-Bench-x11).

An architecture is a normal and a reduction cell. A cell has two input nodes (0: output of the
cell before the previous one, 1: output of the previous cell) and four intermediate nodes 2..5;
node ``i + 2`` sums two operations applied to two *distinct* earlier nodes (inputs from
``range(i + 2)``) and the cell output concatenates nodes 2..5. A cell is stored as 8
``(input, op)`` pairs: pairs ``2i`` and ``2i + 1`` feed node ``i + 2`` and ``op`` indexes
:data:`OPS`, the one op table of this package (the NB301 ConfigSpace choice order, i.e. DARTS'
``PRIMITIVES`` without ``none``).

Canonical form: the two pairs of a node are unordered in the network, so they are stored sorted
by input (a node's inputs are distinct). No other symmetry is merged (intermediate nodes are
labelled), which is exactly how NB301's ConfigSpace counts architectures.

Edges of a cell (NB301 ConfigSpace ``edge_<cell>_k``): node ``j`` (2..5) owns the edges from nodes
``0 .. j-1``, numbered from ``EDGE_START[j - 2]``: node 2 -> k 0, 1; node 3 -> 2..4; node 4 -> 5..8;
node 5 -> 9..13. ``inputs_node_<cell>_j`` (j = 3, 4, 5) names the chosen input pair as ``"a_b"``
with ``a < b``; node 2 always reads nodes 0 and 1, so it has no such entry.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

from nasx11_env.errors import InvalidArchitectureError
from nasx11_env.spaces.base import SearchSpace

OPS: tuple[str, ...] = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
N_OPS = len(OPS)
N_NODES = 4  # intermediate nodes 2..5
N_PAIRS = 2 * N_NODES
N_EDGES = 14  # possible edges per cell
EDGE_START: tuple[int, ...] = (0, 2, 5, 9)  # first edge index of nodes 2, 3, 4, 5
CELLS: tuple[str, ...] = ("normal", "reduce")
CONCAT: tuple[int, ...] = (2, 3, 4, 5)

CONFIG_PREFIX = "NetworkSelectorDatasetInfo:darts:"  # NB301 result files
YAHPO_PREFIX = "NetworkSelectorDatasetInfo_COLON_darts_COLON_"  # YAHPO Gym column names
NA = "#na#"  # YAHPO's value of an inactive hyperparameter

# Columns of the "configspace" encoding = YAHPO's x_cat order (without the prefix).
CONFIGSPACE_COLUMNS: tuple[str, ...] = (
    *(f"edge_{cell}_{k}" for cell in CELLS for k in range(N_EDGES)),
    *(f"inputs_node_{cell}_{j}" for cell in CELLS for j in (3, 4, 5)),
)
# YAHPO integer codes: '#na#' = 0, ops alphabetically from 1, input pairs lexicographically from 1.
YAHPO_OP_CODES: dict[str, int] = {op: code for code, op in enumerate(sorted(OPS), start=1)}
INPUT_PAIRS: dict[int, tuple[str, ...]] = {
    j: tuple(f"{a}_{b}" for a, b in combinations(range(j), 2)) for j in (3, 4, 5)
}

Pair = tuple[int, int]
Cell = tuple[Pair, ...]
_MAX_GENOTYPE_CHARS = 4000


def _as_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArchitectureError(f"{what} must be an integer, got {value!r}")
    return int(value)


def canonical_cell(cell: object, name: str = "cell") -> Cell:
    """Validate a cell of 8 ``(input, op)`` pairs and sort each node's two pairs by input."""
    try:
        pairs = [tuple(pair) for pair in cell]  # type: ignore[union-attr]
    except TypeError:
        raise InvalidArchitectureError(f"{name} must be a sequence of (input, op) pairs") from None
    if len(pairs) != N_PAIRS or any(len(pair) != 2 for pair in pairs):
        raise InvalidArchitectureError(f"{name} must hold {N_PAIRS} (input, op) pairs: {cell!r}")
    result: list[Pair] = []
    for i in range(N_NODES):
        node = []
        for slot in (2 * i, 2 * i + 1):
            source = _as_int(pairs[slot][0], f"{name} pair {slot} input")
            op = _as_int(pairs[slot][1], f"{name} pair {slot} op")
            if not 0 <= source < i + 2:
                raise InvalidArchitectureError(
                    f"{name} pair {slot} feeds node {i + 2}; its input must be in 0..{i + 1}, "
                    f"got {source}"
                )
            if not 0 <= op < N_OPS:
                raise InvalidArchitectureError(f"{name} pair {slot} op must be in 0..6, got {op}")
            node.append((source, op))
        if node[0][0] == node[1][0]:
            raise InvalidArchitectureError(
                f"{name} node {i + 2} takes input {node[0][0]} twice; its two inputs must differ"
            )
        result.extend(sorted(node))
    return tuple(result)


@dataclass(frozen=True)
class DartsArch:
    """A DARTS architecture: normal and reduction cells, each 8 ``(input, op)`` pairs.

    Construction validates and canonicalises (each node's pairs sorted by input), so two
    architectures that build the same network compare and hash equal. Raises
    ``InvalidArchitectureError`` naming the broken rule.
    """

    normal: Cell
    reduce: Cell

    def __post_init__(self) -> None:
        object.__setattr__(self, "normal", canonical_cell(self.normal, "normal cell"))
        object.__setattr__(self, "reduce", canonical_cell(self.reduce, "reduce cell"))

    def cell(self, name: str) -> Cell:
        """The ``"normal"`` or ``"reduce"`` cell."""
        return self.normal if name == "normal" else self.reduce


def edge_index(pair_slot: int, source: int) -> int:
    """NB301 edge number (0..13) of the edge from ``source`` into the node ``pair_slot`` feeds."""
    return EDGE_START[pair_slot // 2] + source


def to_config(arch: DartsArch, prefix: str = CONFIG_PREFIX) -> dict[str, str]:
    """The active NB301 ConfigSpace values of ``arch``: op names and ``"a_b"`` input pairs."""
    config: dict[str, str] = {}
    for cell_name in CELLS:
        cell = arch.cell(cell_name)
        for slot, (source, op) in enumerate(cell):
            config[f"{prefix}edge_{cell_name}_{edge_index(slot, source)}"] = OPS[op]
        for i in range(1, N_NODES):
            first, second = cell[2 * i][0], cell[2 * i + 1][0]
            config[f"{prefix}inputs_node_{cell_name}_{i + 2}"] = f"{first}_{second}"
    return config


def from_config(config: Mapping[str, object]) -> DartsArch:
    """Build an architecture from NB301 ConfigSpace values (``:`` or ``_COLON_`` separators).

    Keys other than ``edge_*``/``inputs_node_*`` (training hyperparameters) are ignored; a value
    of ``"#na#"`` counts as inactive. Raises ``InvalidArchitectureError`` when an active edge is
    missing, an inactive one is set, or a value is not a known op or input pair.
    """
    values: dict[str, object] = {}
    for key, value in config.items():
        short = str(key).replace("_COLON_", ":").rsplit(":", 1)[-1]
        if (short.startswith("edge_") or short.startswith("inputs_node_")) and value != NA:
            values[short] = value
    cells = []
    for cell_name in CELLS:
        pairs: list[Pair] = []
        used: set[str] = set()
        for i in range(N_NODES):
            node = i + 2
            if i == 0:
                sources: tuple[int, ...] = (0, 1)
            else:
                key = f"inputs_node_{cell_name}_{node}"
                choice = values.get(key)
                if choice not in INPUT_PAIRS[node]:
                    raise InvalidArchitectureError(
                        f"{key} must be one of {', '.join(INPUT_PAIRS[node])}, got {choice!r}"
                    )
                used.add(key)
                sources = tuple(int(part) for part in str(choice).split("_"))
            for source in sources:
                key = f"edge_{cell_name}_{EDGE_START[i] + source}"
                op = values.get(key)
                if op not in OPS:
                    raise InvalidArchitectureError(
                        f"{key} (node {node} from node {source}) must be an op of "
                        f"{', '.join(OPS)}, got {op!r}"
                    )
                used.add(key)
                pairs.append((source, OPS.index(str(op))))
        stray = sorted(k for k in values if k.startswith(f"edge_{cell_name}_") and k not in used)
        if stray:
            raise InvalidArchitectureError(
                f"inactive edges set in the {cell_name} cell: {', '.join(stray)}"
            )
        cells.append(tuple(pairs))
    return DartsArch(cells[0], cells[1])


def _cell_text(cell: Cell) -> str:
    return "[" + ", ".join(f"('{OPS[op]}', {source})" for source, op in cell) + "]"


def _literal(node: ast.expr, what: str) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise InvalidArchitectureError(f"{what} is not a literal list") from None


def _concat(node: ast.expr, what: str) -> list[int]:
    """A concat field: a literal list of ints or ``range(a, b)`` as DARTS writes it."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        bounds = [_literal(arg, what) for arg in node.args]
        if node.keywords or not 1 <= len(bounds) <= 3 or not all(type(b) is int for b in bounds):
            raise InvalidArchitectureError(f"{what} must be range(2, 6) or [2, 3, 4, 5]")
        return list(range(*bounds))  # type: ignore[arg-type]
    value = _literal(node, what)
    if not isinstance(value, (list, tuple)) or not all(type(v) is int for v in value):
        raise InvalidArchitectureError(f"{what} must be a list of node numbers")
    return list(value)


def _genotype_cell(node: ast.expr, what: str) -> Cell:
    value = _literal(node, what)
    if not isinstance(value, (list, tuple)):
        raise InvalidArchitectureError(f"{what} must be a list of (op, input) pairs")
    pairs = []
    for item in value:
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str)):
            raise InvalidArchitectureError(f"{what} entries must be (op name, input), got {item!r}")
        op, source = item
        if op not in OPS:
            raise InvalidArchitectureError(f"{what}: unknown op {op!r}; ops are {', '.join(OPS)}")
        pairs.append((source, OPS.index(op)))
    return canonical_cell(pairs, what)


def parse_genotype(text: str) -> DartsArch:
    """Parse a DARTS ``Genotype(normal=[...], normal_concat=..., reduce=[...], reduce_concat=...)``.

    The text is parsed with :mod:`ast` and only literals (and ``range``) are read; nothing is
    evaluated. Raises ``InvalidArchitectureError`` on anything malformed.
    """
    if not isinstance(text, str):
        raise InvalidArchitectureError(f"a genotype string is needed, got {type(text).__name__}")
    if len(text) > _MAX_GENOTYPE_CHARS:
        raise InvalidArchitectureError(f"genotype string too long ({len(text)} characters)")
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise InvalidArchitectureError(f"not a DARTS genotype string: {text!r}") from None
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "Genotype"
        and not call.args
    ):
        raise InvalidArchitectureError(
            f"a genotype string must be Genotype(normal=..., ...) with keywords: {text!r}"
        )
    fields = {keyword.arg: keyword.value for keyword in call.keywords}
    expected = {"normal", "normal_concat", "reduce", "reduce_concat"}
    if set(fields) != expected or len(call.keywords) != len(expected):
        raise InvalidArchitectureError(
            f"a genotype needs exactly the fields {', '.join(sorted(expected))}: {text!r}"
        )
    for name in ("normal_concat", "reduce_concat"):
        if _concat(fields[name], name) != list(CONCAT):
            raise InvalidArchitectureError(f"{name} must be [2, 3, 4, 5] in this space: {text!r}")
    return DartsArch(
        _genotype_cell(fields["normal"], "normal cell"),
        _genotype_cell(fields["reduce"], "reduce cell"),
    )


def _paths(cell: Cell) -> list[tuple[int, tuple[int, ...]]]:
    """Every path from an input node to an intermediate node, as (input, op sequence)."""
    ending: dict[int, list[tuple[int, tuple[int, ...]]]] = {0: [(0, ())], 1: [(1, ())]}
    found = []
    for i in range(N_NODES):
        ending[i + 2] = [
            (start, ops + (op,))
            for source, op in cell[2 * i : 2 * i + 2]
            for start, ops in ending[source]
        ]
        found.extend(ending[i + 2])
    return found


# Path-encoding layout per cell and input: op sequences of length 1..4, base-7 numbered.
_PATH_OFFSETS = tuple(sum(N_OPS**k for k in range(1, length)) for length in range(1, 5 + 1))
_PATHS_PER_INPUT = _PATH_OFFSETS[N_NODES]  # 7 + 49 + 343 + 2401 = 2800


def _path_index(start: int, ops: tuple[int, ...]) -> int:
    number = 0
    for op in ops:
        number = number * N_OPS + op
    return start * _PATHS_PER_INPUT + _PATH_OFFSETS[len(ops) - 1] + number


class DartsSpace(SearchSpace[DartsArch]):
    """The NB301 / NB311 DARTS space.

    Operators:
        sample: per cell and node, two uniform ops and two distinct uniform inputs from
            ``range(i + 2)`` (as NASLib's generator).
        mutate: pick a cell, a pair and a field (op or input) uniformly and a new value uniformly;
            redraw until the edit is valid and changes the architecture (NASLib ``Develop``).
        neighbours: per pair the 6 other ops and every input other than its own and its sibling's:
            per cell 8 x 6 = 48 op edits + 2 x (0 + 1 + 2 + 3) = 12 input edits, 120 in all,
            always distinct.

    Encodings:
        configspace (default): 34 YAHPO integer codes, columns :data:`CONFIGSPACE_COLUMNS` (the
            teacher's ``x_cat``): edges 0 = inactive, 1..7 = ops alphabetically; input pairs
            1.. in lexicographic order. Categorical: compare codes, do not subtract them.
        onehot: per cell, 14 edges x 8 slots (slot 0 = inactive edge, slot 1 + op), 224 values.
        path: per cell, counts of the paths from input node 0 or 1 through 1..4 ops to any
            intermediate node (every intermediate node feeds the cell output), labelled by
            (input, op sequence) as in BANANAS; per cell 2 x 2800, 11 200 values in all.
    """

    name = "darts"
    encodings = ("configspace", "onehot", "path")

    def sample(self, rng: np.random.Generator) -> DartsArch:
        cells = []
        for _ in CELLS:
            pairs: list[Pair] = []
            for i in range(N_NODES):
                ops = rng.integers(0, N_OPS, size=2)
                sources = rng.choice(i + 2, size=2, replace=False)
                pairs.extend((int(s), int(o)) for s, o in zip(sources, ops, strict=True))
            cells.append(tuple(pairs))
        return DartsArch(cells[0], cells[1])

    def mutate(self, arch: DartsArch, rng: np.random.Generator) -> DartsArch:
        arch = self.check(arch)
        while True:
            cell_index = int(rng.integers(len(CELLS)))
            slot = int(rng.integers(N_PAIRS))
            pairs = [list(pair) for pair in arch.cell(CELLS[cell_index])]
            if rng.random() < 0.5:
                pairs[slot][1] = int(rng.integers(N_OPS))
            else:
                pairs[slot][0] = int(rng.integers(slot // 2 + 2))
            try:
                cell = canonical_cell(pairs)
            except InvalidArchitectureError:
                continue  # the new input equals the sibling's
            child = self._replace(arch, cell_index, cell)
            if child != arch:
                return child

    def neighbours(self, arch: DartsArch) -> list[DartsArch]:
        arch = self.check(arch)
        result = []
        for cell_index, cell_name in enumerate(CELLS):
            cell = arch.cell(cell_name)
            for slot, (source, op) in enumerate(cell):
                sibling = cell[slot ^ 1][0]
                edits = [(source, new) for new in range(N_OPS) if new != op]
                edits += [(new, op) for new in range(slot // 2 + 2) if new not in (source, sibling)]
                for edit in edits:
                    pairs = list(cell)
                    pairs[slot] = edit
                    result.append(self._replace(arch, cell_index, tuple(pairs)))
        return result

    @staticmethod
    def _replace(arch: DartsArch, cell_index: int, cell: Cell) -> DartsArch:
        if cell_index == 0:
            return DartsArch(cell, arch.reduce)
        return DartsArch(arch.normal, cell)

    def is_valid(self, arch: object) -> bool:
        if not isinstance(arch, DartsArch):
            return False
        try:
            return canonical_cell(arch.normal) == arch.normal and (
                canonical_cell(arch.reduce) == arch.reduce
            )
        except InvalidArchitectureError:
            return False

    def to_str(self, arch: DartsArch) -> str:
        arch = self.check(arch)
        concat = list(CONCAT)
        return (
            f"Genotype(normal={_cell_text(arch.normal)}, normal_concat={concat}, "
            f"reduce={_cell_text(arch.reduce)}, reduce_concat={concat})"
        )

    def from_str(self, text: str) -> DartsArch:
        return parse_genotype(text)

    def encode(self, arch: DartsArch, encoding: str | None = None) -> np.ndarray:
        arch = self.check(arch)
        kind = self._resolve_encoding(encoding)
        if kind == "configspace":
            return self._encode_configspace(arch)
        if kind == "onehot":
            return self._encode_onehot(arch)
        return self._encode_path(arch)

    @staticmethod
    def _encode_configspace(arch: DartsArch) -> np.ndarray:
        codes = np.zeros(len(CONFIGSPACE_COLUMNS), dtype=np.float64)
        for cell_index, cell_name in enumerate(CELLS):
            cell = arch.cell(cell_name)
            for slot, (source, op) in enumerate(cell):
                codes[cell_index * N_EDGES + edge_index(slot, source)] = YAHPO_OP_CODES[OPS[op]]
            for i in range(1, N_NODES):
                pair = f"{cell[2 * i][0]}_{cell[2 * i + 1][0]}"
                column = 2 * N_EDGES + 3 * cell_index + (i - 1)
                codes[column] = INPUT_PAIRS[i + 2].index(pair) + 1
        return codes

    @staticmethod
    def _encode_onehot(arch: DartsArch) -> np.ndarray:
        onehot = np.zeros((len(CELLS), N_EDGES, N_OPS + 1), dtype=np.float64)
        onehot[:, :, 0] = 1.0
        for cell_index, cell_name in enumerate(CELLS):
            for slot, (source, op) in enumerate(arch.cell(cell_name)):
                edge = edge_index(slot, source)
                onehot[cell_index, edge, 0] = 0.0
                onehot[cell_index, edge, op + 1] = 1.0
        return onehot.ravel()

    @staticmethod
    def _encode_path(arch: DartsArch) -> np.ndarray:
        counts = np.zeros((len(CELLS), 2 * _PATHS_PER_INPUT), dtype=np.float64)
        for cell_index, cell_name in enumerate(CELLS):
            for start, ops in _paths(arch.cell(cell_name)):
                counts[cell_index, _path_index(start, ops)] += 1.0
        return counts.ravel()

    @property
    def size(self) -> int:
        per_cell = 1
        for i in range(N_NODES):
            per_cell *= comb(i + 2, 2) * N_OPS**2
        return per_cell ** len(CELLS)

    @property
    def size_note(self) -> str:
        return (
            "exact: per cell, node i+2 picks an unordered pair of distinct inputs from i+2 "
            "nodes and an op for each (C(i+2, 2) x 49), so 49^4 x 1 x 3 x 6 x 10 = "
            "1,037,664,180 cells, squared for (normal, reduce); isomorphic cells with "
            "relabelled intermediate nodes are counted separately, as in NB301's ConfigSpace"
        )
