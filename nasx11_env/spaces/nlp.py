"""NAS-Bench-NLP recurrent cells (the space of NLP11): recipes, canonical form, moves, encodings.

A NAS-Bench-NLP *recipe* maps node names to ``{"op": ..., "input": [...]}``. Inputs are ``x``
(the token embedding), the previous hidden states ``h_prev_0..h_prev_{k-1}`` and other nodes;
nodes named ``h_new_0..h_new_{k-1}`` are the new hidden states (``h_new_0`` is the cell output).
The semantics follow NAS-Bench-NLP's ``custom_rnn.py``: ``linear`` is a learned map of the
concatenated inputs, ``blend(z, a, b) = z*a + (1-z)*b``, ``elementwise_sum``/``elementwise_prod``
combine two inputs, ``activation_*`` apply tanh, sigmoid or leaky ReLU to one input.

Rules of this space (what ``is_valid`` checks), chosen so that every real NAS-Bench-NLP recipe,
including the hand-made RNN/LSTM/GRU cells, is valid:

- 1 to 3 hidden states (k), named exactly ``h_new_0..h_new_{k-1}``; inputs ``x`` and
  ``h_prev_0..h_prev_{k-1}``, each used at least once; no cycles; every node reaches a new
  hidden state (the generator deletes the others).
- arities as the generator makes them: activation 1, sum/prod 2, linear 2 or 3, blend 3 inputs,
  never the same input twice.
- at most ``MAX_NODES`` = 25 nodes (recipe entries; the inputs are not counted): the most the
  NAS-Bench-NLP generator produces (3 hidden states + 21 intermediate vertices, plus the
  activation forced after a final linear).

The generator's other habits are not rules of the space, since hand-made cells break them (the
GRU's ``h_new_0`` blends ``h_prev_0`` directly; its linear reads a prod): ``sample`` follows
them (no h_prev -> h_new edge; linears read only x, h_prev and activations; blend/sum/prod never
read x), but ``mutate`` and ``neighbours`` only keep the space's rules.

x11's "at most 12 nodes" counts the entries of its compact op list, which always holds 4 input
placeholders (x, h_prev_0..2) before the recipe nodes, so it means at most 8 recipe nodes. It is a
rule of x11's sampler and of the pool it trained on, not of the space: real recipes have up to
15 nodes. ``sample`` applies it (``in_x11_domain``); the 185-d ``"x11"`` encoding fits at most 9
recipe nodes (13 compact slots) and raises for larger cells, the ``"onehot"`` encoding fits all.

Canonical form (``NLPArch``): the inputs keep their compact indices (0 = x, 1..3 = h_prev_0..2)
and the nodes get indices 4, 5, ... in a canonical topological order, found by colour refinement
plus individualisation, so recipes that differ only in node names or in the order of inputs of
commutative ops (linear, sum, prod: a linear's weight blocks are exchangeable) are equal. Blend
inputs keep their order (the first is the gate).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from nasx11_env.errors import InvalidArchitectureError
from nasx11_env.spaces.base import SearchSpace

ACTIVATIONS = ("activation_sigm", "activation_tanh", "activation_leaky_relu")
COMBINERS = ("elementwise_sum", "elementwise_prod")
#: Cell ops in x11's order: op id = index + 1 (x11 uses 0 for the inputs).
OPS = (*ACTIVATIONS, *COMBINERS, "linear", "blend")
ARITY: dict[str, tuple[int, ...]] = {
    **{op: (1,) for op in ACTIVATIONS},
    **{op: (2,) for op in COMBINERS},
    "linear": (2, 3),
    "blend": (3,),
}
INPUT_NAMES = ("x", "h_prev_0", "h_prev_1", "h_prev_2")
N_INPUTS = len(INPUT_NAMES)
MAX_HIDDEN = 3
MAX_NODES = 25
#: x11 keeps compacts with at most 12 entries (4 input placeholders + 8 recipe nodes).
X11_MAX_COMPACT = 12
#: The x11 encoding is a 13x13 matrix: compact indices 0..12.
X11_MAX_INDEX = 12

_OP_ID = {op: i + 1 for i, op in enumerate(OPS)}
_HIDDEN_NAME = re.compile(r"h_new_(0|[1-9][0-9]*)")
_RESERVED_NAME = re.compile(r"x|h_prev_[0-9]+|h_new_[0-9]+")

# The generator of NAS-Bench-NLP (as x11 configures it: 2 hidden states, 7 intermediate vertices).
_MAIN_OPS = ("linear", "blend", "elementwise_prod", "elementwise_sum")
_MAIN_P = np.array([3.0, 1.0, 1.0, 1.0]) / 6.0
_LINEAR_WIDTHS = (2, 3)
_LINEAR_P = np.array([4.0, 1.0]) / 5.0

Cell = tuple[tuple[str, ...], tuple[tuple[int, ...], ...], tuple[int, ...]]
X11Compact = tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class NLPArch:
    """A recurrent cell in canonical form.

    Compact indices: 0 = x, 1..3 = h_prev_0..2, ``4 + j`` = node j. ``ops[j]`` and ``inputs[j]``
    (compact indices, sorted unless the op is blend) describe node j; ``hiddens[i]`` is the
    compact index of ``h_new_i``. Build one with ``NLPSpace.from_recipe``.
    """

    ops: tuple[str, ...]
    inputs: tuple[tuple[int, ...], ...]
    hiddens: tuple[int, ...]

    @property
    def n_nodes(self) -> int:
        """Number of recipe nodes (inputs not counted)."""
        return len(self.ops)

    @property
    def n_hidden(self) -> int:
        """Number of hidden states k."""
        return len(self.hiddens)


# --------------------------------------------------------------------------- validity


def _cell_problem(ops: tuple, inputs: tuple, hiddens: tuple) -> str | None:
    """Why a cell (compact indices, any node order) breaks the space's rules, else ``None``."""
    n = len(ops)
    if not 1 <= n <= MAX_NODES:
        return f"a cell needs 1 to {MAX_NODES} nodes, got {n}"
    if len(inputs) != n:
        return f"{n} ops but {len(inputs)} input lists"
    k = len(hiddens)
    if not 1 <= k <= MAX_HIDDEN:
        return f"a cell needs 1 to {MAX_HIDDEN} new hidden states, got {k}"
    if len(set(hiddens)) != k or not all(N_INPUTS <= h < N_INPUTS + n for h in hiddens):
        return f"hidden states {hiddens} must be distinct nodes"
    sources = set(range(1 + k)) | set(range(N_INPUTS, N_INPUTS + n))
    for j, (op, node_inputs) in enumerate(zip(ops, inputs, strict=True)):
        if op not in ARITY:
            return f"unknown op {op!r}; ops are {', '.join(OPS)}"
        if len(node_inputs) not in ARITY[op]:
            widths = " or ".join(map(str, ARITY[op]))
            return f"{op} takes {widths} inputs, node {j} has {len(node_inputs)}"
        if len(set(node_inputs)) != len(node_inputs):
            return f"node {j} takes the same input twice"
        for source in node_inputs:
            if source not in sources or source == N_INPUTS + j:
                return f"node {j} has an invalid input {source} (k = {k} hidden states)"
    if _topological_order(inputs) is None:
        return "the cell has a cycle"
    used = {source for node_inputs in inputs for source in node_inputs}
    unused = [INPUT_NAMES[i] for i in range(1 + k) if i not in used]
    if unused:
        return f"inputs {', '.join(unused)} are not used"
    live = _ancestors(inputs, hiddens)
    dead = [j for j in range(n) if N_INPUTS + j not in live]
    if dead:
        return f"nodes {dead} do not reach a new hidden state"
    return None


def _topological_order(inputs: tuple) -> list[int] | None:
    """Node indices (0-based) with every node after its inputs, or ``None`` on a cycle."""
    n = len(inputs)
    waiting = [sum(1 for s in node_inputs if s >= N_INPUTS) for node_inputs in inputs]
    consumers: list[list[int]] = [[] for _ in range(n)]
    for j, node_inputs in enumerate(inputs):
        for source in node_inputs:
            if source >= N_INPUTS:
                consumers[source - N_INPUTS].append(j)
    ready = [j for j in range(n) if waiting[j] == 0]
    order: list[int] = []
    while ready:
        j = ready.pop()
        order.append(j)
        for consumer in consumers[j]:
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                ready.append(consumer)
    return order if len(order) == n else None


def _ancestors(inputs: tuple, targets: tuple[int, ...]) -> set[int]:
    """Compact indices that reach any of ``targets`` (targets included)."""
    seen = set(targets)
    stack = list(targets)
    while stack:
        node = stack.pop()
        if node >= N_INPUTS:
            for source in inputs[node - N_INPUTS]:
                if source not in seen:
                    seen.add(source)
                    stack.append(source)
    return seen


def _descendants(inputs: tuple, node: int) -> set[int]:
    """Compact indices reachable from ``node`` (itself included)."""
    seen = {node}
    changed = True
    while changed:
        changed = False
        for j, node_inputs in enumerate(inputs):
            index = N_INPUTS + j
            if index not in seen and seen.intersection(node_inputs):
                seen.add(index)
                changed = True
    return seen


# --------------------------------------------------------------------------- canonical form


def _rank(keys: list) -> list[int]:
    order = {key: rank for rank, key in enumerate(sorted(set(keys)))}
    return [order[key] for key in keys]


def _canonical(ops: tuple, inputs: tuple, hiddens: tuple) -> NLPArch:
    """The canonical ``NLPArch`` of a valid cell given with any node numbering."""
    n = len(ops)
    hidden_of = {index: i for i, index in enumerate(hiddens)}
    consumers: list[list[tuple[int, int]]] = [[] for _ in range(N_INPUTS + n)]
    for j, node_inputs in enumerate(inputs):
        for position, source in enumerate(node_inputs):
            slot = position if ops[j] == "blend" else -1
            consumers[source].append((N_INPUTS + j, slot))
    start = [(0, i, 0) for i in range(N_INPUTS)] + [
        (1, _OP_ID[op], hidden_of.get(N_INPUTS + j, -1)) for j, op in enumerate(ops)
    ]

    def refine(colours: list[int]) -> list[int]:
        while True:
            keys = []
            for index in range(N_INPUTS + n):
                sources: tuple = ()
                if index >= N_INPUTS:
                    j = index - N_INPUTS
                    sources = tuple(colours[s] for s in inputs[j])
                    if ops[j] != "blend":
                        sources = tuple(sorted(sources))
                users = tuple(sorted((colours[c], slot) for c, slot in consumers[index]))
                keys.append((colours[index], sources, users))
            refined = _rank(keys)
            if len(set(refined)) == len(set(colours)):
                return refined
            colours = refined

    def serialise(colours: list[int]) -> Cell:
        def key(j: int) -> tuple[int, int, int]:
            hidden = hidden_of.get(N_INPUTS + j, -1)
            return (hidden >= 0, hidden, colours[N_INPUTS + j])

        new_index = {i: i for i in range(N_INPUTS)}
        remaining = set(range(n))
        while remaining:
            ready = [j for j in remaining if all(s in new_index for s in inputs[j])]
            j = min(ready, key=key)
            new_index[N_INPUTS + j] = len(new_index)
            remaining.remove(j)
        order = sorted(range(n), key=lambda j: new_index[N_INPUTS + j])
        new_ops = tuple(ops[j] for j in order)
        new_inputs = []
        for j in order:
            mapped = tuple(new_index[s] for s in inputs[j])
            new_inputs.append(mapped if ops[j] == "blend" else tuple(sorted(mapped)))
        return new_ops, tuple(new_inputs), tuple(new_index[h] for h in hiddens)

    def search(colours: list[int]) -> Cell:
        classes: dict[int, list[int]] = {}
        for index in range(N_INPUTS, N_INPUTS + n):
            classes.setdefault(colours[index], []).append(index)
        tied = [members for _, members in sorted(classes.items()) if len(members) > 1]
        if not tied:
            return serialise(colours)
        # Twins (same inputs, same consumers) are swapped by an automorphism that keeps the
        # colouring, so their branches give the same leaves: branch on one twin only.
        branches: dict[tuple, int] = {}
        for index in tied[0]:
            sources = inputs[index - N_INPUTS]
            if ops[index - N_INPUTS] != "blend":
                sources = tuple(sorted(sources))
            branches.setdefault((sources, tuple(sorted(consumers[index]))), index)
        best: Cell | None = None
        for chosen in branches.values():
            split = [2 * c + (index == chosen) for index, c in enumerate(colours)]
            leaf = search(refine(_rank(split)))
            if best is None or leaf < best:
                best = leaf
        assert best is not None
        return best

    return NLPArch(*search(refine(_rank(start))))


# --------------------------------------------------------------------------- recipes


def _parse_recipe(recipe: object) -> Cell:
    """Read a recipe dict into compact indices (node order as given); raise on malformed input."""
    if not isinstance(recipe, Mapping) or not recipe:
        raise InvalidArchitectureError(f"a recipe is a non-empty dict of nodes, got {recipe!r}")
    names = list(recipe)
    hidden_index: dict[str, int] = {}
    for name in names:
        if not isinstance(name, str):
            raise InvalidArchitectureError(f"node names are strings, got {name!r}")
        match = _HIDDEN_NAME.fullmatch(name)
        if match:
            hidden_index[name] = int(match.group(1))
        elif _RESERVED_NAME.fullmatch(name):
            raise InvalidArchitectureError(f"{name!r} is reserved and cannot name a node")
    k = len(hidden_index)
    if sorted(hidden_index.values()) != list(range(k)) or not 1 <= k <= MAX_HIDDEN:
        raise InvalidArchitectureError(
            f"new hidden states must be h_new_0..h_new_{{k-1}} with 1 <= k <= {MAX_HIDDEN}, "
            f"got {sorted(hidden_index) or 'none'}"
        )
    index = {name: i for i, name in enumerate(INPUT_NAMES[: 1 + k])}
    index.update({name: N_INPUTS + j for j, name in enumerate(names)})
    ops, inputs = [], []
    for name in names:
        node = recipe[name]
        if not isinstance(node, Mapping) or set(node) != {"op", "input"}:
            raise InvalidArchitectureError(f"node {name!r} must have exactly 'op' and 'input'")
        op, sources = node["op"], node["input"]
        if op not in ARITY:
            raise InvalidArchitectureError(f"node {name!r} has unknown op {op!r}")
        if not isinstance(sources, (list, tuple)):
            raise InvalidArchitectureError(f"node {name!r}: 'input' must be a list of names")
        unknown = [s for s in sources if not isinstance(s, str) or s not in index]
        if unknown:
            raise InvalidArchitectureError(
                f"node {name!r} has unknown inputs {unknown} (k = {k} hidden states)"
            )
        ops.append(op)
        inputs.append(tuple(index[s] for s in sources))
    hiddens = tuple(index[f"h_new_{i}"] for i in range(k))
    return tuple(ops), tuple(inputs), hiddens


def _to_recipe(arch: NLPArch) -> dict[str, dict[str, object]]:
    hidden_of = {index: i for i, index in enumerate(arch.hiddens)}
    names = list(INPUT_NAMES)
    plain = 0
    for j in range(arch.n_nodes):
        if N_INPUTS + j in hidden_of:
            names.append(f"h_new_{hidden_of[N_INPUTS + j]}")
        else:
            names.append(f"node_{plain}")
            plain += 1
    return {
        names[N_INPUTS + j]: {"op": op, "input": [names[s] for s in sources]}
        for j, (op, sources) in enumerate(zip(arch.ops, arch.inputs, strict=True))
    }


# --------------------------------------------------------------------------- generator


def generate_cell(
    rng: np.random.Generator, hidden_states: int = 2, intermediate: int = 7
) -> NLPArch | None:
    """One draw of the NAS-Bench-NLP recipe generator; ``None`` when its sanity check fails.

    Grow ``hidden_states + intermediate`` vertices: ops linear 3 : blend 1 : prod 1 : sum 1;
    a linear takes 2 or 3 (p 0.8/0.2) distinct inputs among x, h_prev and earlier activations and
    is always followed by a uniform activation; blend takes 3 and sum/prod 2 distinct inputs
    among h_prev and earlier nodes (never x). Then ``hidden_states`` distinct nodes become
    h_new_0.., nodes not reaching them are deleted, and the draw fails if x or an h_prev is
    unused or a new hidden state takes an h_prev directly. x11 uses the defaults (2, 7);
    NAS-Bench-NLP itself used 1-3 hidden states and 7, 14 or 21 intermediate vertices.
    """
    if not 1 <= hidden_states <= MAX_HIDDEN or not 0 <= intermediate < MAX_NODES - hidden_states:
        raise ValueError(
            f"need 1 <= hidden_states <= {MAX_HIDDEN} and hidden_states + intermediate < "
            f"{MAX_NODES}, got {hidden_states} and {intermediate}"
        )
    base = list(range(1 + hidden_states))
    ops: list[str] = []
    inputs: list[tuple[int, ...]] = []
    activations: list[int] = []
    while len(ops) < hidden_states + intermediate:
        op = _MAIN_OPS[rng.choice(len(_MAIN_OPS), p=_MAIN_P)]
        if op == "linear":
            width = _LINEAR_WIDTHS[rng.choice(len(_LINEAR_WIDTHS), p=_LINEAR_P)]
            candidates = base + activations
            chosen = rng.choice(candidates, size=min(width, len(candidates)), replace=False)
            ops.append(op)
            inputs.append(tuple(int(c) for c in chosen))
            ops.append(ACTIVATIONS[rng.integers(len(ACTIVATIONS))])
            inputs.append((N_INPUTS + len(ops) - 2,))
            activations.append(N_INPUTS + len(ops) - 1)
        else:
            width = 3 if op == "blend" else 2
            candidates = base[1:] + [N_INPUTS + j for j in range(len(ops))]
            if width <= len(candidates):
                chosen = rng.choice(candidates, size=width, replace=False)
                ops.append(op)
                inputs.append(tuple(int(c) for c in chosen))
    picked = rng.choice(len(ops), size=hidden_states, replace=False)
    hiddens = tuple(N_INPUTS + int(j) for j in picked)
    live = _ancestors(tuple(inputs), hiddens)
    kept = [j for j in range(len(ops)) if N_INPUTS + j in live]
    renumber = {i: i for i in range(N_INPUTS)}
    renumber.update({N_INPUTS + j: N_INPUTS + new for new, j in enumerate(kept)})
    cell_inputs = tuple(tuple(renumber[s] for s in inputs[j]) for j in kept)
    cell_hiddens = tuple(renumber[h] for h in hiddens)
    if not set(base) <= live:
        return None
    if any(1 <= s <= hidden_states for h in cell_hiddens for s in cell_inputs[h - N_INPUTS]):
        return None
    return _canonical(tuple(ops[j] for j in kept), cell_inputs, cell_hiddens)


# --------------------------------------------------------------------------- moves


def _op_moves(arch: NLPArch) -> Iterator[Cell]:
    """Change one activation to another activation, or a sum to a prod and back."""
    for j, op in enumerate(arch.ops):
        group = ACTIVATIONS if op in ACTIVATIONS else COMBINERS if op in COMBINERS else ()
        for other in group:
            if other != op:
                yield arch.ops[:j] + (other,) + arch.ops[j + 1 :], arch.inputs, arch.hiddens


def _edge_moves(arch: NLPArch) -> Iterator[Cell]:
    """Replace one input of one node by another source that keeps the cell acyclic."""
    sources = list(range(1 + arch.n_hidden)) + [N_INPUTS + j for j in range(arch.n_nodes)]
    for j, node_inputs in enumerate(arch.inputs):
        below = _descendants(arch.inputs, N_INPUTS + j)
        for position in range(len(node_inputs)):
            for source in sources:
                if source in below or source in node_inputs:
                    continue
                rewired = node_inputs[:position] + (source,) + node_inputs[position + 1 :]
                new_inputs = arch.inputs[:j] + (rewired,) + arch.inputs[j + 1 :]
                yield arch.ops, new_inputs, arch.hiddens


def _children(arch: NLPArch, moves: Iterator[Cell]) -> list[NLPArch]:
    """Distinct valid canonical children of ``moves`` other than ``arch``, in move order."""
    seen = {arch}
    children = []
    for cell in moves:
        if _cell_problem(*cell) is None:
            child = _canonical(*cell)
            if child not in seen:
                seen.add(child)
                children.append(child)
    return children


# --------------------------------------------------------------------------- encodings


def x11_compact(arch: NLPArch) -> X11Compact:
    """x11's compact tuple ``(edges, op ids, hidden indices)`` with our canonical numbering.

    Op ids follow x11 (0 = input, then ``OPS``); hidden indices are listed in compact order, as
    x11 collects them while walking the recipe. x11 numbers nodes in recipe (dict) order, so
    the same cell may get another numbering there; ours is canonical.
    """
    edges = tuple(
        (source, N_INPUTS + j)
        for j, node_inputs in enumerate(arch.inputs)
        for source in node_inputs
    )
    op_ids = (0,) * N_INPUTS + tuple(_OP_ID[op] for op in arch.ops)
    return edges, op_ids, tuple(sorted(arch.hiddens))


def _encode_x11(arch: NLPArch) -> np.ndarray:
    edges, op_ids, hiddens = x11_compact(arch)
    last = len(op_ids) - 1
    if last > X11_MAX_INDEX:
        raise InvalidArchitectureError(
            f"the x11 encoding holds at most {X11_MAX_INDEX + 1 - N_INPUTS} nodes, this cell has "
            f"{arch.n_nodes}; use the 'onehot' encoding"
        )

    def slot(index: int) -> int:
        return X11_MAX_INDEX if index == last else index

    adjacency = np.zeros((X11_MAX_INDEX + 1, X11_MAX_INDEX + 1))
    for source, target in edges:
        adjacency[slot(source), slot(target)] = 1
    ops = [*op_ids[:-1], *[0] * (X11_MAX_INDEX - last), op_ids[-1]]
    padded_hiddens = [*hiddens, *[0] * (MAX_HIDDEN - len(hiddens))]
    return np.concatenate([adjacency.ravel(), ops, padded_hiddens]).astype(np.float64)


_SLOTS = N_INPUTS + MAX_NODES
_UPPER = np.triu_indices(_SLOTS, k=1)


def _encode_onehot(arch: NLPArch) -> np.ndarray:
    adjacency = np.zeros((_SLOTS, _SLOTS))
    ops = np.zeros((MAX_NODES, len(OPS)))
    hidden = np.zeros((MAX_NODES, MAX_HIDDEN))
    for j, (op, node_inputs) in enumerate(zip(arch.ops, arch.inputs, strict=True)):
        ops[j, OPS.index(op)] = 1
        for position, source in enumerate(node_inputs):
            adjacency[source, N_INPUTS + j] = position + 1 if op == "blend" else 1
    for i, index in enumerate(arch.hiddens):
        hidden[index - N_INPUTS, i] = 1
    return np.concatenate([adjacency[_UPPER], ops.ravel(), hidden.ravel()]).astype(np.float64)


# --------------------------------------------------------------------------- the space


class NLPSpace(SearchSpace[NLPArch]):
    """NAS-Bench-NLP recurrent cells; see the module docstring for the rules.

    Encodings: ``"x11"`` (default, 185-d: 13x13 adjacency with the last node at index 12,
    13 x11 op ids, 3 hidden-state compact indices, not moved to 12 when the last node is, as in
    x11; cells of at most 9 nodes) and ``"onehot"`` (656-d for
    every valid cell: upper-triangular 29x29 adjacency whose entries are 1, or the input position
    1..3 for blend nodes, then a 7-way op one-hot and a 3-way ``h_new`` one-hot per node slot).
    No path encoding: the number of input-to-output op paths grows exponentially with depth
    (up to 25 nodes), so any fixed-length path vector would be truncated and lossy.
    """

    name = "nlp"
    encodings = ("onehot", "x11")

    def from_recipe(self, recipe: Mapping[str, object]) -> NLPArch:
        """Canonical architecture of a NAS-Bench-NLP recipe dict; raises if it breaks a rule."""
        cell = _parse_recipe(recipe)
        problem = _cell_problem(*cell)
        if problem is not None:
            raise InvalidArchitectureError(f"invalid recipe: {problem}")
        return _canonical(*cell)

    def to_recipe(self, arch: NLPArch) -> dict[str, dict[str, object]]:
        """Recipe dict of ``arch``: nodes ``node_0..`` in canonical order, hidden states kept."""
        return _to_recipe(self.check(arch))

    def why_invalid(self, arch: object) -> str | None:
        """The first rule ``arch`` breaks, or ``None`` if it is a valid canonical ``NLPArch``."""
        if not isinstance(arch, NLPArch):
            return f"expected an NLPArch, got {type(arch).__name__}"
        fields = (arch.ops, arch.inputs, arch.hiddens)
        if not all(isinstance(f, tuple) for f in fields) or not all(
            isinstance(op, str) for op in arch.ops
        ):
            return "fields must be tuples"
        if not all(isinstance(i, tuple) and all(type(s) is int for s in i) for i in arch.inputs):
            return "node inputs must be tuples of int indices"
        if not all(type(h) is int for h in arch.hiddens):
            return "hidden-state indices must be ints"
        problem = _cell_problem(*fields)
        if problem is not None:
            return problem
        if _canonical(*fields) != arch:
            return "not in canonical form (build it with NLPSpace.from_recipe)"
        return None

    def is_valid(self, arch: object) -> bool:
        return self.why_invalid(arch) is None

    def check(self, arch: object) -> NLPArch:
        problem = self.why_invalid(arch)
        if problem is not None:
            raise InvalidArchitectureError(f"not a valid nlp architecture ({problem}): {arch!r}")
        return arch  # type: ignore[return-value]

    def in_x11_domain(self, arch: NLPArch) -> bool:
        """Whether x11 would keep ``arch``: at most 12 compact entries (8 recipe nodes)."""
        return N_INPUTS + arch.n_nodes <= X11_MAX_COMPACT

    def sample(self, rng: np.random.Generator) -> NLPArch:
        """x11's sampler: NAS-Bench-NLP generator draws (2 hidden states, 7 intermediate
        vertices) until one passes its sanity check and lies in the x11 domain."""
        while True:
            arch = generate_cell(rng)
            if arch is not None and self.in_x11_domain(arch):
                return arch

    def mutate(self, arch: NLPArch, rng: np.random.Generator) -> NLPArch:
        """Change one op within its group or rewire one edge (move kind chosen uniformly among
        kinds that have a valid move); the child is valid and differs from ``arch``."""
        arch = self.check(arch)
        kinds = [_op_moves, _edge_moves]
        while kinds:
            kind = kinds.pop(int(rng.integers(len(kinds))))
            cells = [cell for cell in kind(arch) if _cell_problem(*cell) is None]
            for i in rng.permutation(len(cells)):
                child = _canonical(*cells[i])
                if child != arch:
                    return child
        raise InvalidArchitectureError(f"no single op change or rewiring of {arch!r} is valid")

    def neighbours(self, arch: NLPArch) -> list[NLPArch]:
        """All distinct valid children one op change or one rewiring away: op changes first
        (by node, then op), then rewirings (by node, input position, new source)."""
        arch = self.check(arch)
        # An op change alters the multiset of ops and a rewiring does not: no overlap.
        return _children(arch, _op_moves(arch)) + _children(arch, _edge_moves(arch))

    def to_str(self, arch: NLPArch) -> str:
        return json.dumps(self.to_recipe(arch), sort_keys=True, separators=(",", ":"))

    def from_str(self, text: str) -> NLPArch:
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"expected a JSON string, got {type(text).__name__}")
        try:
            recipe = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidArchitectureError(f"not a JSON recipe ({error}): {text[:80]!r}") from None
        return self.from_recipe(recipe)

    def encode(self, arch: NLPArch, encoding: str | None = None) -> np.ndarray:
        arch = self.check(arch)
        if self._resolve_encoding(encoding) == "x11":
            return _encode_x11(arch)
        return _encode_onehot(arch)

    @property
    def size(self) -> int | None:
        return None

    @property
    def size_note(self) -> str:
        return (
            "not enumerable: more than 10^14 valid cells (chains of 12 linear+activation pairs "
            "alone give 3^12 * 12! = 2.5e14); x11's sampler favours small cells: 72% of 20,000 "
            "draws were distinct, an effective size 1/sum(p^2) of about 5e3"
        )
