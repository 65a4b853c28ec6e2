"""The DARTS (NB301) space: rules, canonical form, genotype strings, operators and encodings."""

from __future__ import annotations

import json
from collections import Counter
from itertools import product
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasx11_env.errors import InvalidArchitectureError
from nasx11_env.spaces import get_space
from nasx11_env.spaces.darts import (
    CONFIGSPACE_COLUMNS,
    INPUT_PAIRS,
    OPS,
    YAHPO_OP_CODES,
    YAHPO_PREFIX,
    DartsArch,
    DartsSpace,
    canonical_cell,
    from_config,
    to_config,
)

SPACE = DartsSpace()
seeds = st.integers(min_value=0, max_value=2**32 - 1)

# DARTS_V2 from the DARTS paper (pairs listed in DARTS' own order, concat as range).
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=range(2, 6))"
)
# A chain: node j reads node j-1 (sep_conv_3x3) and node 0 (skip_connect).
CHAIN = ((0, 2), (1, 3), (0, 2), (2, 3), (0, 2), (3, 3), (0, 2), (4, 3))


def _arch(seed: int) -> DartsArch:
    return SPACE.sample(np.random.default_rng(seed))


def test_registry_and_names() -> None:
    space = get_space("darts")
    assert isinstance(space, DartsSpace) and space.name == "darts"
    assert space.encodings[0] == "configspace"
    assert OPS.index("sep_conv_3x3") == 3 and len(OPS) == 7 and "none" not in OPS
    with pytest.raises(ValueError, match="unknown encoding"):
        space.encode(_arch(0), "adjacency")


def test_pairs_of_a_node_are_unordered() -> None:
    swapped = tuple(CHAIN[i ^ 1] for i in range(8))
    first, second = DartsArch(CHAIN, CHAIN), DartsArch(swapped, list(map(list, CHAIN)))
    assert first == second and hash(first) == hash(second)
    assert first.normal == CHAIN  # stored sorted by input
    assert SPACE.to_str(first) == SPACE.to_str(second)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (CHAIN[:7], "8 \\(input, op\\) pairs"),
        (((0, 1), (0, 2)) + CHAIN[2:], "takes input 0 twice"),
        (CHAIN[:2] + ((3, 1),) + CHAIN[3:], "input must be in 0..2"),
        (CHAIN[:1] + ((1, 7),) + CHAIN[2:], "op must be in 0..6"),
        (CHAIN[:1] + ((1, True),) + CHAIN[2:], "must be an integer"),
        (CHAIN[:1] + ((1, 2.0),) + CHAIN[2:], "must be an integer"),
        (5, "sequence of"),
    ],
)
def test_invalid_cells_are_rejected(cell: object, message: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=message):
        DartsArch(cell, CHAIN)  # type: ignore[arg-type]


def test_is_valid_and_check() -> None:
    arch = _arch(1)
    assert SPACE.is_valid(arch) and SPACE.check(arch) is arch
    assert not SPACE.is_valid((CHAIN, CHAIN))
    broken = DartsArch(CHAIN, CHAIN)
    object.__setattr__(broken, "normal", ((0, 1), (0, 2)) + CHAIN[2:])
    assert not SPACE.is_valid(broken)
    with pytest.raises(InvalidArchitectureError, match="not a valid darts"):
        SPACE.check(broken)


def test_sample_is_reproducible_and_follows_the_generator() -> None:
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    archs = [SPACE.sample(rng_a) for _ in range(3000)]
    assert archs[:50] == [SPACE.sample(rng_b) for _ in range(50)]
    assert len(set(archs)) == len(archs)
    pairs_node5 = Counter((a.normal[6][0], a.normal[7][0]) for a in archs)
    assert set(pairs_node5) == {(a, b) for a in range(5) for b in range(a + 1, 5)}
    assert max(pairs_node5.values()) < 1.35 * min(pairs_node5.values())  # ~uniform, 300 each
    ops = Counter(op for a in archs for _, op in a.normal + a.reduce)
    assert set(ops) == set(range(7))
    assert max(ops.values()) < 1.1 * min(ops.values())  # 48 000 draws, ~6860 each
    assert all(a.normal[0][0] == 0 and a.normal[1][0] == 1 for a in archs)


@settings(max_examples=60, deadline=None)
@given(seeds)
def test_genotype_round_trip(seed: int) -> None:
    arch = _arch(seed)
    text = SPACE.to_str(arch)
    assert text.startswith("Genotype(normal=[('") and "normal_concat=[2, 3, 4, 5]" in text
    assert text.endswith("reduce_concat=[2, 3, 4, 5])")
    assert SPACE.from_str(text) == arch
    assert from_config(to_config(arch)) == arch


def test_known_genotype_parses() -> None:
    arch = SPACE.from_str(DARTS_V2)
    assert arch.normal[6:] == ((0, OPS.index("skip_connect")), (2, OPS.index("dil_conv_3x3")))
    assert arch.reduce[2:4] == ((1, OPS.index("max_pool_3x3")), (2, OPS.index("skip_connect")))
    assert SPACE.from_str(SPACE.to_str(arch)) == arch


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Genotype(",
        "genotype",
        "__import__('os').system('echo hacked')",
        DARTS_V2.replace("('sep_conv_3x3', 0)", "('none', 0)", 1),
        DARTS_V2.replace("('sep_conv_3x3', 0)", "('conv_7x7', 0)", 1),
        DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"),
        DARTS_V2.replace("('sep_conv_3x3', 1)", "('sep_conv_3x3', 0)", 1),
        DARTS_V2.replace("('dil_conv_3x3', 2)], normal_concat", "], normal_concat"),
        DARTS_V2.replace("normal_concat=range(2, 6)", "normal_concat=[2, 3]"),
        DARTS_V2.replace("normal_concat=range(2, 6)", "normal_concat=__import__('os')"),
        DARTS_V2.replace("reduce_concat=range(2, 6)", "reduce_concat=range(2, 6), extra=1"),
        DARTS_V2.replace(", reduce_concat=range(2, 6)", ""),
        DARTS_V2.replace("Genotype(", "Other("),
        DARTS_V2.replace("('sep_conv_3x3', 0)", "('sep_conv_3x3', '0')", 1),
        "Genotype(" + "[" * 5000 + ")",
        "Genotype(normal=" + "[" * 1000 + ")",
        "Genotype(\x00)",
    ],
)
def test_malformed_genotypes_are_rejected(text: str) -> None:
    with pytest.raises(InvalidArchitectureError):
        SPACE.from_str(text)


def test_from_str_needs_a_string() -> None:
    with pytest.raises(InvalidArchitectureError, match="genotype string is needed"):
        SPACE.from_str(42)  # type: ignore[arg-type]


def _differences(a: DartsArch, b: DartsArch) -> int:
    """Number of (cell, edge) slots whose op differs; an input move changes two slots."""
    codes_a, codes_b = SPACE.encode(a)[:28], SPACE.encode(b)[:28]
    return int((codes_a != codes_b).sum())


@settings(max_examples=40, deadline=None)
@given(seeds)
def test_neighbours(seed: int) -> None:
    arch = _arch(seed)
    neighbours = SPACE.neighbours(arch)
    assert len(neighbours) == 120 == len(set(neighbours))
    assert arch not in neighbours
    assert neighbours == SPACE.neighbours(arch)  # deterministic order
    assert all(SPACE.is_valid(n) and 1 <= _differences(arch, n) <= 2 for n in neighbours)
    assert arch in SPACE.neighbours(neighbours[seed % 120])  # the relation is symmetric


@settings(max_examples=40, deadline=None)
@given(seeds)
def test_mutate_makes_one_valid_edit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    arch = SPACE.sample(rng)
    neighbours = set(SPACE.neighbours(arch))
    for _ in range(20):
        child = SPACE.mutate(arch, rng)
        assert child != arch and child in neighbours


def test_mutate_reaches_op_and_input_edits() -> None:
    rng = np.random.default_rng(3)
    arch = SPACE.sample(rng)
    kinds = Counter(_differences(arch, SPACE.mutate(arch, rng)) for _ in range(400))
    assert kinds[1] > 200 and kinds[2] > 20  # op edits change one slot, input moves two


def test_size_is_the_exact_count() -> None:
    per_cell = 1
    for node in range(4):
        raw = product(range(node + 2), range(7), range(node + 2), range(7))
        distinct = {
            tuple(sorted([(a, o), (b, p)])) for a, o, b, p in raw if a != b
        }  # canonical pairs of one node, by brute force
        assert len(distinct) == comb(node + 2, 2) * 49
        per_cell *= len(distinct)
    assert per_cell == 1_037_664_180
    assert SPACE.size == per_cell**2
    assert "1,037,664,180" in SPACE.size_note


def test_canonical_cell_sorts_each_node() -> None:
    cell = canonical_cell([(1, 4), (0, 2), (2, 0), (0, 1), (3, 6), (1, 5), (4, 6), (2, 0)])
    assert cell == ((0, 2), (1, 4), (0, 1), (2, 0), (1, 5), (3, 6), (2, 0), (4, 6))


@settings(max_examples=40, deadline=None)
@given(seeds)
def test_configspace_encoding_matches_the_config(seed: int) -> None:
    arch = _arch(seed)
    codes = SPACE.encode(arch)
    assert codes.shape == (34,) and codes.dtype == np.float64
    config = to_config(arch, prefix="")
    for column, code in zip(CONFIGSPACE_COLUMNS, codes, strict=True):
        value = config.get(column)
        if column.startswith("edge_"):
            assert code == (0 if value is None else YAHPO_OP_CODES[value])
        else:
            assert code == INPUT_PAIRS[int(column[-1])].index(value) + 1
    assert [(codes[:14] > 0).sum(), (codes[14:28] > 0).sum()] == [8, 8]


def test_onehot_encoding() -> None:
    arch = DartsArch(CHAIN, CHAIN)
    onehot = SPACE.encode(arch, "onehot").reshape(2, 14, 8)
    assert (onehot.sum(axis=2) == 1).all()
    assert (onehot[:, :, 0] == 0).sum() == 16  # 8 active edges per cell
    # edge 0 (node 2 from node 0) holds skip_connect, edge 13 (node 5 from node 4) sep_conv_3x3
    assert onehot[0, 0, 1 + OPS.index("skip_connect")] == 1
    assert onehot[0, 13, 1 + OPS.index("sep_conv_3x3")] == 1
    assert onehot[0, 12, 0] == 1  # node 5 does not read node 3


def test_path_encoding_counts_chain_paths() -> None:
    path = SPACE.encode(DartsArch(CHAIN, CHAIN), "path")
    assert path.shape == (11200,)
    normal = path[:5600]
    # Paths ending at node j: node 2 -> 2; node j>2 -> 1 (skip from node 0) + paths to node j-1.
    assert normal.sum() == 2 + 3 + 4 + 5 == path[5600:].sum()
    skip, sep = OPS.index("skip_connect"), OPS.index("sep_conv_3x3")
    assert normal[skip] == 4  # input 0, one op: skip_connect into nodes 2, 3, 4, 5
    assert normal[2800 + sep] == 1  # input 1, one op: sep_conv_3x3 into node 2
    longest = 7 + 49 + 343 + ((sep * 7 + sep) * 7 + sep) * 7 + sep
    assert normal[2800 + longest] == 1  # input 1 -> 2 -> 3 -> 4 -> 5, all sep_conv_3x3
    assert set(np.unique(path)) <= {0.0, 1.0, 2.0, 3.0, 4.0}


def test_from_config_accepts_yahpo_names_and_rejects_bad_configs() -> None:
    arch = _arch(11)
    yahpo = {YAHPO_PREFIX + column: "#na#" for column in CONFIGSPACE_COLUMNS}
    yahpo.update({k.replace(":", "_COLON_"): v for k, v in to_config(arch).items()})
    yahpo["epoch"] = 98
    assert from_config(yahpo) == arch
    config = to_config(arch)
    inactive = next(
        f"NetworkSelectorDatasetInfo:darts:edge_normal_{k}"
        for k in range(14)
        if f"NetworkSelectorDatasetInfo:darts:edge_normal_{k}" not in config
    )
    with pytest.raises(InvalidArchitectureError, match="inactive edges"):
        from_config({**config, inactive: "skip_connect"})
    missing = dict(config)
    del missing["NetworkSelectorDatasetInfo:darts:edge_reduce_0"]
    with pytest.raises(InvalidArchitectureError, match="edge_reduce_0"):
        from_config(missing)
    with pytest.raises(InvalidArchitectureError, match="inputs_node_normal_4"):
        from_config({**config, "NetworkSelectorDatasetInfo:darts:inputs_node_normal_4": "3_4"})


def test_configspace_encoding_matches_yahpo_files(data_root) -> None:
    folder = data_root / "yahpo-nb301"
    encoding = json.loads((folder / "encoding_v2.json").read_text())
    assert set(encoding) == {YAHPO_PREFIX + column for column in CONFIGSPACE_COLUMNS}
    space = json.loads((folder / "config_space_v2.json").read_text())
    choices = {h["name"]: h["choices"] for h in space["hyperparameters"] if "choices" in h}
    for column in CONFIGSPACE_COLUMNS:
        expected = OPS if column.startswith("edge_") else INPUT_PAIRS[int(column[-1])]
        assert tuple(choices[YAHPO_PREFIX + column]) == expected
    rng = np.random.default_rng(5)
    for _ in range(200):
        arch = SPACE.sample(rng)
        config = to_config(arch, prefix=YAHPO_PREFIX)
        codes = [
            encoding[YAHPO_PREFIX + c][config.get(YAHPO_PREFIX + c, "#na#")]
            for c in CONFIGSPACE_COLUMNS
        ]
        np.testing.assert_array_equal(SPACE.encode(arch), codes)
        for condition in space["conditions"]:  # an edge is active iff its condition holds
            active = config[condition["parent"]] in condition["values"]
            assert (condition["child"] in config) == active
