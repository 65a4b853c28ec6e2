"""NAS-Bench-NLP cell space: parsing, canonical form, validity, sampler, moves, encodings."""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasx11_env.errors import InvalidArchitectureError
from nasx11_env.spaces import get_space
from nasx11_env.spaces.nlp import (
    ACTIVATIONS,
    MAX_NODES,
    N_INPUTS,
    NLPArch,
    NLPSpace,
    generate_cell,
    x11_compact,
)

SPACE = NLPSpace()
LOGS = Path("nasbench-nlp-wikitext2") / "logs.zip"
EXAMPLES = Path("nasbench-nlp-wikitext2") / "recepies_example.json"

RNN = {
    "f": {"op": "linear", "input": ["x", "h_prev_0"]},
    "h_new_0": {"op": "activation_tanh", "input": ["f"]},
}
GRU = {
    "r": {"op": "linear", "input": ["x", "h_prev_0"]},
    "r_act": {"op": "activation_sigm", "input": ["r"]},
    "z": {"op": "linear", "input": ["x", "h_prev_0"]},
    "z_act": {"op": "activation_sigm", "input": ["z"]},
    "rh": {"op": "elementwise_prod", "input": ["r_act", "h_prev_0"]},
    "h_tilde": {"op": "linear", "input": ["x", "rh"]},
    "h_tilde_act": {"op": "activation_tanh", "input": ["h_tilde"]},
    "h_new_0": {"op": "blend", "input": ["z_act", "h_prev_0", "h_tilde_act"]},
}
# Two automorphic twins (a and b) feeding one sum: the canonical search must break the tie.
TWINS = {
    "a": {"op": "linear", "input": ["x", "h_prev_0"]},
    "b": {"op": "linear", "input": ["h_prev_0", "x"]},
    "a_act": {"op": "activation_tanh", "input": ["a"]},
    "b_act": {"op": "activation_tanh", "input": ["b"]},
    "s": {"op": "elementwise_sum", "input": ["a_act", "b_act"]},
    "h_new_0": {"op": "activation_sigm", "input": ["s"]},
}

# Four identical linears joined in an 8-cycle by four sums: colour refinement alone cannot tell
# a2/a4 (both read by sums under s1 or both under s2) from a1/a3, so the search must branch.
RING = {
    **{f"a{i}": {"op": "linear", "input": ["x", "h_prev_0"]} for i in range(4)},
    **{f"b{i}": {"op": "elementwise_sum", "input": [f"a{i}", f"a{(i + 1) % 4}"]} for i in range(4)},
    "s1": {"op": "elementwise_sum", "input": ["b0", "b1"]},
    "s2": {"op": "elementwise_sum", "input": ["b2", "b3"]},
    "h_new_0": {"op": "elementwise_prod", "input": ["s1", "s2"]},
}

# Twelve identical linears in four triples: 6^4 * 3! automorphisms, pruned by twin detection.
FAN = {
    **{f"l{i}": {"op": "linear", "input": ["x", "h_prev_0"]} for i in range(12)},
    **{f"m{j}": {"op": "linear", "input": [f"l{3 * j + i}" for i in range(3)]} for j in range(4)},
    "p": {"op": "linear", "input": ["m0", "m1", "m2"]},
    "h_new_0": {"op": "linear", "input": ["p", "m3"]},
}


def _rename(recipe: dict, rng: np.random.Generator) -> dict:
    """The same cell with new node names, shuffled entries and shuffled commutative inputs."""
    plain = [name for name in recipe if not name.startswith("h_new_") or "_" in name[6:]]
    new_names = {name: f"n{i}" for i, name in enumerate(rng.permutation(plain).tolist())}
    renamed = {}
    for name in rng.permutation(list(recipe)).tolist():
        node = recipe[name]
        sources = [new_names.get(s, s) for s in node["input"]]
        if node["op"] != "blend":
            sources = rng.permutation(sources).tolist()
        renamed[new_names.get(name, name)] = {"op": node["op"], "input": sources}
    return renamed


def _real_recipes(data_root: Path) -> list[dict]:
    with zipfile.ZipFile(data_root / LOGS) as archive:
        return [
            json.loads(json.loads(archive.read(member))["recepie"])
            for member in sorted(archive.namelist())
            if member.endswith(".json")
        ]


# --------------------------------------------------------------------------- real recipes


@pytest.mark.data
def test_every_real_recipe_parses_is_valid_and_round_trips(data_root: Path) -> None:
    recipes = _real_recipes(data_root)
    assert len(recipes) == 345
    archs = [SPACE.from_recipe(recipe) for recipe in recipes]
    assert all(SPACE.is_valid(arch) for arch in archs)
    assert all(SPACE.from_str(SPACE.to_str(arch)) == arch for arch in archs)
    rng = np.random.default_rng(0)
    assert all(SPACE.from_recipe(_rename(r, rng)) == a for r, a in zip(recipes, archs, strict=True))
    # Measured on the WikiText-2 logs: 291 distinct recipe strings, 265 distinct cells.
    assert len({json.dumps(r, sort_keys=True) for r in recipes}) == 291
    assert len(set(archs)) == 265
    assert max(arch.n_nodes for arch in archs) == 15
    assert sum(SPACE.in_x11_domain(arch) for arch in archs) == 238
    assert all(SPACE.encode(arch, "onehot").shape == (656,) for arch in archs)
    assert sum(arch.n_nodes <= 9 for arch in archs) == 267
    assert all(SPACE.encode(arch, "x11").shape == (185,) for arch in archs if arch.n_nodes <= 9)


@pytest.mark.data
def test_example_recipes_parse(data_root: Path) -> None:
    examples = json.loads((data_root / EXAMPLES).read_text())
    archs = [SPACE.from_recipe(recipe) for recipe in examples]
    assert archs[0] == SPACE.from_recipe(RNN)
    assert archs[2] == SPACE.from_recipe(GRU)
    lstm = archs[1]
    assert lstm.n_nodes == 13 and lstm.n_hidden == 2  # h_new_1_act etc. are plain nodes


@pytest.mark.data
def test_real_cells_have_neighbours_and_mutate(data_root: Path) -> None:
    archs = sorted(set(map(SPACE.from_recipe, _real_recipes(data_root)[:60])), key=SPACE.to_str)
    rng = np.random.default_rng(1)
    for arch in archs[:30]:
        neighbours = SPACE.neighbours(arch)
        assert neighbours and arch not in neighbours
        child = SPACE.mutate(arch, rng)
        assert child != arch and child in neighbours


# --------------------------------------------------------------------------- parsing


def test_rnn_cell_canonical_form() -> None:
    arch = SPACE.from_recipe(RNN)
    assert arch == NLPArch(("linear", "activation_tanh"), ((0, 1), (4,)), (5,))
    assert SPACE.to_recipe(arch) == {
        "node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
        "h_new_0": {"op": "activation_tanh", "input": ["node_0"]},
    }
    text = SPACE.to_str(arch)
    assert text == (
        '{"h_new_0":{"input":["node_0"],"op":"activation_tanh"},'
        '"node_0":{"input":["x","h_prev_0"],"op":"linear"}}'
    )
    assert SPACE.from_str(text) == arch


def test_blend_input_order_matters_but_commutative_order_does_not() -> None:
    gru = SPACE.from_recipe(GRU)
    swapped = dict(GRU, h_new_0={"op": "blend", "input": ["z_act", "h_tilde_act", "h_prev_0"]})
    assert SPACE.from_recipe(swapped) != gru
    reordered = dict(GRU, rh={"op": "elementwise_prod", "input": ["h_prev_0", "r_act"]})
    assert SPACE.from_recipe(reordered) == gru


@pytest.mark.parametrize("recipe", [TWINS, RING, FAN], ids=["twins", "ring", "fan"])
def test_symmetric_cells_canonicalise_the_same_under_any_naming(recipe: dict) -> None:
    rng = np.random.default_rng(3)
    arch = SPACE.from_recipe(recipe)
    assert all(SPACE.from_recipe(_rename(recipe, rng)) == arch for _ in range(30))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_large_generated_cells_canonicalise_under_any_naming(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cell = None
    while cell is None:
        cell = generate_cell(rng, hidden_states=int(rng.integers(1, 4)), intermediate=14)
    recipe = SPACE.to_recipe(cell)
    assert SPACE.from_recipe(_rename(recipe, rng)) == cell
    assert SPACE.from_recipe(recipe) == cell


def _brute_force_key(arch: NLPArch) -> tuple:
    """Smallest serialisation over every topological renumbering (an independent oracle)."""
    best = None
    for order in permutations(range(arch.n_nodes)):
        new = {i: i for i in range(N_INPUTS)}
        new.update({N_INPUTS + j: N_INPUTS + pos for pos, j in enumerate(order)})
        if any(new[s] >= new[N_INPUTS + j] for j in order for s in arch.inputs[j]):
            continue
        inputs = []
        for j in order:
            mapped = tuple(new[s] for s in arch.inputs[j])
            inputs.append(mapped if arch.ops[j] == "blend" else tuple(sorted(mapped)))
        key = (
            tuple(arch.ops[j] for j in order),
            tuple(inputs),
            tuple(new[h] for h in arch.hiddens),
        )
        best = key if best is None or key < best else best
    return best


def test_canonical_form_agrees_with_brute_force_isomorphism() -> None:
    rng = np.random.default_rng(7)
    archs = [SPACE.sample(rng) for _ in range(400)]
    small = [a for a in archs if a.n_nodes <= 6] + [SPACE.from_recipe(TWINS)]
    keys = {arch: _brute_force_key(arch) for arch in small}
    assert len(set(keys.values())) == len(set(small))  # equal canonical form <=> isomorphic


@pytest.mark.parametrize(
    ("recipe", "problem"),
    [
        ({}, "non-empty dict"),
        ([1, 2], "non-empty dict"),
        ({"h_new_0": {"op": "relu", "input": ["x"]}}, "unknown op"),
        ({"h_new_0": {"op": "linear"}}, "exactly 'op' and 'input'"),
        ({"h_new_0": {"op": "linear", "input": "x"}}, "list of names"),
        ({"h_new_0": {"op": "linear", "input": ["x", "y"]}}, "unknown inputs"),
        ({"h_new_0": {"op": "linear", "input": ["x", "h_prev_1"]}}, "unknown inputs"),
        ({"h_new_0": {"op": "linear", "input": ["x"]}}, "2 or 3 inputs"),
        ({"h_new_0": {"op": "linear", "input": ["x", "x"]}}, "same input twice"),
        ({"h_new_0": {"op": "activation_tanh", "input": ["h_prev_0"]}}, "x are not used"),
        ({"node": {"op": "linear", "input": ["x", "h_prev_0"]}}, "h_new_0..h_new_{k-1}"),
        (dict(RNN, h_new_2=RNN["h_new_0"]), "h_new_0..h_new_{k-1}"),
        (dict(RNN, x=RNN["f"]), "reserved"),
        (dict(RNN, h_new_00=RNN["f"]), "reserved"),
        (dict(RNN, g={"op": "linear", "input": ["x", "h_prev_0"]}), "do not reach"),
        (
            {
                "a": {"op": "elementwise_sum", "input": ["h_prev_0", "b"]},
                "b": {"op": "linear", "input": ["x", "a"]},
                "h_new_0": {"op": "activation_tanh", "input": ["b"]},
            },
            "cycle",
        ),
        (
            {
                f"h_new_{i}": {"op": "linear", "input": ["x", f"h_prev_{i}"]}
                for i in range(4)  # 4 hidden states
            },
            "1 <= k <= 3",
        ),
    ],
)
def test_malformed_recipes_raise(recipe: object, problem: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=re.escape(problem)):
        SPACE.from_recipe(recipe)  # type: ignore[arg-type]


def test_too_many_nodes_raise() -> None:
    recipe = {"n0": {"op": "linear", "input": ["x", "h_prev_0"]}}
    for i in range(1, MAX_NODES):
        recipe[f"n{i}"] = {"op": "activation_tanh", "input": [f"n{i - 1}"]}
    recipe["h_new_0"] = recipe.pop(f"n{MAX_NODES - 1}")
    assert len(recipe) == MAX_NODES
    assert SPACE.from_recipe(recipe).n_nodes == MAX_NODES
    recipe[f"n{MAX_NODES - 1}"] = recipe.pop("h_new_0")
    recipe["h_new_0"] = {"op": "activation_sigm", "input": [f"n{MAX_NODES - 1}"]}
    with pytest.raises(InvalidArchitectureError, match="1 to 25 nodes"):
        SPACE.from_recipe(recipe)


@pytest.mark.parametrize("text", ["", "not json", "[]", "null", '{"h_new_0": 3}', "{"])
def test_from_str_malformed_raises(text: str) -> None:
    with pytest.raises(InvalidArchitectureError):
        SPACE.from_str(text)


def test_from_str_rejects_non_strings() -> None:
    with pytest.raises(InvalidArchitectureError, match="JSON string"):
        SPACE.from_str(RNN)  # type: ignore[arg-type]


def test_is_valid_rejects_non_canonical_and_malformed_objects() -> None:
    arch = SPACE.from_recipe(GRU)
    assert SPACE.is_valid(arch)
    unsorted = NLPArch(arch.ops, ((1, 0),) + arch.inputs[1:], arch.hiddens)
    assert not SPACE.is_valid(unsorted)
    assert "canonical" in (SPACE.why_invalid(unsorted) or "")
    assert not SPACE.is_valid(RNN)
    assert not SPACE.is_valid(NLPArch(("linear",), ((0, 1.0),), (4,)))  # type: ignore[arg-type]
    assert not SPACE.is_valid(NLPArch(("linear", "activation_tanh"), ((0, 1), (4,)), (4, 4)))
    with pytest.raises(InvalidArchitectureError, match="canonical"):
        SPACE.check(unsorted)
    with pytest.raises(InvalidArchitectureError):
        SPACE.to_recipe(unsorted)


def test_registry_and_size() -> None:
    space = get_space("nlp")
    assert isinstance(space, NLPSpace) and space.name == "nlp"
    assert space.size is None
    assert "not enumerable" in space.size_note


# --------------------------------------------------------------------------- sampler


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_sample_follows_the_generator_rules(seed: int) -> None:
    arch = SPACE.sample(np.random.default_rng(seed))
    assert SPACE.is_valid(arch) and SPACE.in_x11_domain(arch)
    assert arch.n_hidden == 2 and arch.n_nodes <= 8
    activations = {N_INPUTS + j for j, op in enumerate(arch.ops) if op in ACTIVATIONS}
    for op, sources in zip(arch.ops, arch.inputs, strict=True):
        if op == "linear":
            assert set(sources) <= {0, 1, 2} | activations
        elif op not in ACTIVATIONS:
            assert 0 not in sources  # blend, sum and prod never read x
    for hidden in arch.hiddens:
        assert not {1, 2} & set(arch.inputs[hidden - N_INPUTS])  # no h_prev -> h_new edge
    assert SPACE.sample(np.random.default_rng(seed)) == arch


def test_sample_distribution() -> None:
    rng = np.random.default_rng(0)
    archs = [SPACE.sample(rng) for _ in range(300)]
    ops = Counter(op for arch in archs for op in arch.ops)
    # linear is drawn 3x as often as blend, sum or prod, and each brings an activation.
    assert ops["linear"] > ops["elementwise_sum"] + ops["elementwise_prod"] + ops["blend"]
    assert sum(ops[a] for a in ACTIVATIONS) > ops["linear"] / 2
    assert len(set(archs)) > 200  # 72% unique over 20,000 draws when measured
    assert len({arch.n_nodes for arch in archs}) >= 4


def test_generator_settings() -> None:
    rng = np.random.default_rng(5)
    cells = [generate_cell(rng, hidden_states=3, intermediate=21) for _ in range(60)]
    valid = [cell for cell in cells if cell is not None]
    assert valid and all(SPACE.is_valid(cell) and cell.n_hidden == 3 for cell in valid)
    assert any(cell.n_nodes > 9 for cell in valid)
    with pytest.raises(ValueError):
        generate_cell(rng, hidden_states=4)
    with pytest.raises(ValueError):
        generate_cell(rng, hidden_states=2, intermediate=23)


# --------------------------------------------------------------------------- moves


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_mutate_gives_a_valid_different_neighbour(seed: int) -> None:
    rng = np.random.default_rng(seed)
    arch = SPACE.sample(rng)
    child = SPACE.mutate(arch, np.random.default_rng(seed))
    assert SPACE.is_valid(child) and child != arch
    assert child.n_nodes == arch.n_nodes
    assert child in SPACE.neighbours(arch)
    assert SPACE.mutate(arch, np.random.default_rng(seed)) == child


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_neighbours_are_distinct_valid_single_moves(seed: int) -> None:
    arch = SPACE.sample(np.random.default_rng(seed))
    neighbours = SPACE.neighbours(arch)
    assert neighbours == SPACE.neighbours(arch)
    assert len(set(neighbours)) == len(neighbours) and arch not in neighbours
    ops, arities = Counter(arch.ops), Counter(zip(arch.ops, map(len, arch.inputs), strict=True))
    for child in neighbours:
        assert SPACE.is_valid(child) and child.n_nodes == arch.n_nodes
        child_ops = Counter(child.ops)
        if child_ops == ops:  # a rewiring keeps every node's op and number of inputs
            assert Counter(zip(child.ops, map(len, child.inputs), strict=True)) == arities
        else:  # one op changed within its group: activations, or sum <-> prod
            (gone,) = (ops - child_ops).elements()
            (new,) = (child_ops - ops).elements()
            assert {gone, new} <= set(ACTIVATIONS) or {gone, new} == {
                "elementwise_sum",
                "elementwise_prod",
            }


def test_rnn_neighbours_are_its_two_other_activations() -> None:
    arch = SPACE.from_recipe(RNN)
    neighbours = SPACE.neighbours(arch)
    assert [n.ops[1] for n in neighbours] == ["activation_sigm", "activation_leaky_relu"]


def test_cell_without_moves_cannot_mutate() -> None:
    arch = SPACE.from_recipe({"h_new_0": {"op": "linear", "input": ["x", "h_prev_0"]}})
    assert SPACE.neighbours(arch) == []
    with pytest.raises(InvalidArchitectureError, match="no single op change"):
        SPACE.mutate(arch, np.random.default_rng(0))


def test_rewiring_reaches_cells_with_other_inputs() -> None:
    arch = SPACE.from_recipe(GRU)
    neighbours = SPACE.neighbours(arch)
    op_changes = [n for n in neighbours if Counter(n.ops) != Counter(arch.ops)]
    assert len(op_changes) == 7  # 3 activations x 2 other activations + prod -> sum
    assert neighbours[:7] == op_changes  # op changes come first
    assert len(neighbours) > 7


# --------------------------------------------------------------------------- encodings


def test_x11_encoding_of_the_rnn_cell() -> None:
    vector = SPACE.encode(SPACE.from_recipe(RNN), "x11")
    assert vector.shape == (185,) and vector.dtype == np.float64
    adjacency = np.zeros((13, 13))
    adjacency[0, 4] = adjacency[1, 4] = adjacency[4, 12] = 1  # last node (5) moved to 12
    ops = [0, 0, 0, 0, 6] + [0] * 7 + [2]  # x11 ids: linear 6, tanh 2
    expected = np.concatenate([adjacency.ravel(), ops, [5, 0, 0]])
    np.testing.assert_array_equal(vector, expected)
    assert x11_compact(SPACE.from_recipe(RNN)) == (
        ((0, 4), (1, 4), (4, 5)),
        (0, 0, 0, 0, 6, 2),
        (5,),
    )


def test_x11_encoding_limits() -> None:
    rng = np.random.default_rng(11)
    big = next(
        cell
        for cell in iter(lambda: generate_cell(rng, 3, 21), 0)
        if cell is not None and cell.n_nodes > 9
    )
    with pytest.raises(InvalidArchitectureError, match="onehot"):
        SPACE.encode(big, "x11")
    assert SPACE.encode(big, "onehot").shape == (656,)
    with pytest.raises(ValueError, match="unknown encoding"):
        SPACE.encode(big, "path")


def test_onehot_encoding_is_injective_and_marks_blend_positions() -> None:
    rng = np.random.default_rng(2)
    archs = list({SPACE.sample(rng) for _ in range(200)}) + [SPACE.from_recipe(GRU)]
    vectors = SPACE.encode_batch(archs, "onehot")
    assert vectors.shape == (len(archs), 656)
    assert len({row.tobytes() for row in vectors}) == len(archs)
    gru = archs[-1]
    assert set(np.unique(vectors[-1])) == {0.0, 1.0, 2.0, 3.0}
    assert vectors[-1][406:].sum() == gru.n_nodes + gru.n_hidden  # one op and one h_new per slot


def test_encodings_are_stable_for_sampled_cells() -> None:
    rng = np.random.default_rng(4)
    archs = [SPACE.sample(rng) for _ in range(50)]
    assert SPACE.encode_batch(archs).shape == (50, 656)  # onehot is the default
    batch = SPACE.encode_batch(archs, "x11")
    assert batch.shape == (50, 185)
    assert np.array_equal(
        batch, SPACE.encode_batch([SPACE.from_str(SPACE.to_str(a)) for a in archs], "x11")
    )
    assert (batch[:, 169:182] <= 7).all() and (batch[:, :169].sum(axis=1) > 0).all()
