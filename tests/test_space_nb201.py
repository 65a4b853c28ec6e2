"""NB201 cell space: string/index/key forms, sampling, mutation, neighbours, encodings."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasx11_env.errors import InvalidArchitectureError
from nasx11_env.spaces import get_space
from nasx11_env.spaces.nb201 import EDGES, OPS, PATH_ENCODING_LENGTH, NB201Arch, NB201Space

SPACE = NB201Space()
EXAMPLE = "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"
indices = st.integers(min_value=0, max_value=15624)


def op(name: str) -> int:
    return OPS.index(name)


def test_registry_and_size() -> None:
    space = get_space("nb201")
    assert isinstance(space, NB201Space)
    assert space.size == 15625 == len(set(space.all_archs()))
    assert EDGES == ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))


def test_example_string_maps_edges_in_readme_order() -> None:
    arch = SPACE.from_str(EXAMPLE)
    # String order is (0,1) | (0,2) (1,2) | (0,3) (1,3) (2,3); ops are stored in EDGES order.
    expected = {
        (0, 1): "nor_conv_3x3",
        (0, 2): "none",
        (1, 2): "avg_pool_3x3",
        (0, 3): "skip_connect",
        (1, 3): "nor_conv_1x1",
        (2, 3): "skip_connect",
    }
    assert arch.ops == tuple(op(expected[edge]) for edge in EDGES) == (3, 0, 1, 4, 2, 1)
    assert SPACE.to_str(arch) == EXAMPLE
    assert SPACE.to_key(arch) == "304121"
    assert SPACE.index(arch) == 3 + 0 * 5 + 1 * 25 + 4 * 125 + 2 * 625 + 1 * 3125


def test_key_lists_edges_in_string_order() -> None:
    only_12 = NB201Arch(tuple(op("nor_conv_3x3") if e == (1, 2) else 0 for e in EDGES))
    only_03 = NB201Arch(tuple(op("skip_connect") if e == (0, 3) else 0 for e in EDGES))
    assert SPACE.to_key(only_12) == "003000"
    assert SPACE.to_key(only_03) == "000100"
    assert SPACE.to_str(only_12) == "|none~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|none~2|"


@settings(max_examples=200, deadline=None)
@given(indices)
def test_round_trips(index: int) -> None:
    arch = SPACE.from_index(index)
    assert SPACE.index(arch) == index
    assert SPACE.from_str(SPACE.to_str(arch)) == arch
    assert SPACE.from_key(SPACE.to_key(arch)) == arch
    assert hash(arch) == hash(NB201Arch(arch.ops))


def test_all_archs_in_index_order() -> None:
    archs = SPACE.all_archs()
    assert [SPACE.index(a) for a in archs] == list(range(15625))
    assert len({SPACE.to_key(a) for a in archs}) == 15625


def test_from_str_accepts_inputs_in_any_order() -> None:
    shuffled = (
        "|nor_conv_3x3~0|+|avg_pool_3x3~1|none~0|+|skip_connect~2|skip_connect~0|nor_conv_1x1~1|"
    )
    assert SPACE.from_str(shuffled) == SPACE.from_str(EXAMPLE)


@pytest.mark.parametrize(
    "text",
    [
        "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|",
        "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|none~0|+|none~0|none~0|+|none~0|none~1|none~2|",
        "|none~0|+|none~0|+|none~0|none~1|none~2|",
        "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|none0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "none~0+|none~0|none~1|+|none~0|none~1|none~2|",
        "",
    ],
)
def test_from_str_rejects_malformed(text: str) -> None:
    with pytest.raises(InvalidArchitectureError):
        SPACE.from_str(text)


def test_from_str_rejects_non_string() -> None:
    with pytest.raises(InvalidArchitectureError):
        SPACE.from_str(123)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "ops", [(0, 1, 2, 3, 4), (0, 1, 2, 3, 4, 5), (0, 0, 0, 0, 0, -1), (True,) * 6, [0] * 6]
)
def test_arch_rejects_bad_ops(ops: object) -> None:
    with pytest.raises(InvalidArchitectureError):
        NB201Arch(ops)  # type: ignore[arg-type]


def test_from_ops_and_validity() -> None:
    arch = NB201Arch.from_ops(np.array([1, 2, 3, 4, 0, 1], dtype=np.int8))
    assert arch.ops == (1, 2, 3, 4, 0, 1) and all(type(o) is int for o in arch.ops)
    with pytest.raises(InvalidArchitectureError):
        NB201Arch.from_ops([1.0, 2, 3, 4, 0, 1])
    with pytest.raises(InvalidArchitectureError):
        NB201Arch.from_ops(7)
    assert SPACE.is_valid(arch)
    assert not SPACE.is_valid((1, 2, 3, 4, 0, 1))
    with pytest.raises(InvalidArchitectureError):
        SPACE.check((1, 2, 3, 4, 0, 1))


@pytest.mark.parametrize("bad", [-1, 15625, 2.0, True])
def test_from_index_rejects(bad: object) -> None:
    with pytest.raises(InvalidArchitectureError):
        SPACE.from_index(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["12345", "1234567", "123450", 123456])
def test_from_key_rejects(bad: object) -> None:
    with pytest.raises(InvalidArchitectureError):
        SPACE.from_key(bad)  # type: ignore[arg-type]


def test_sample_is_uniform_and_reproducible() -> None:
    rng = np.random.default_rng(0)
    draws = np.array([SPACE.sample(rng).ops for _ in range(5000)])
    freq = np.stack([(draws == o).mean(axis=0) for o in range(5)])
    assert np.abs(freq - 0.2).max() < 0.03
    a = [SPACE.sample(np.random.default_rng(7)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    unique = len({SPACE.sample(rng) for _ in range(2000)})
    assert unique > 1850  # 2000 uniform draws from 15,625 cells: about 1,880 distinct


def test_neighbours() -> None:
    arch = SPACE.from_str(EXAMPLE)
    neighbours = SPACE.neighbours(arch)
    assert len(neighbours) == len(set(neighbours)) == 24
    assert arch not in neighbours
    for other in neighbours:
        assert sum(a != b for a, b in zip(arch.ops, other.ops, strict=True)) == 1
    assert neighbours == SPACE.neighbours(arch)


def test_mutate_changes_one_edge_and_reaches_every_neighbour() -> None:
    rng = np.random.default_rng(1)
    arch = SPACE.from_str(EXAMPLE)
    children = Counter(SPACE.mutate(arch, rng) for _ in range(1200))
    assert set(children) == set(SPACE.neighbours(arch))
    assert min(children.values()) > 20  # 1200 / 24 = 50 expected each
    assert SPACE.mutate(arch, np.random.default_rng(3)) == SPACE.mutate(
        arch, np.random.default_rng(3)
    )


def test_onehot_and_categorical() -> None:
    arch = SPACE.from_str(EXAMPLE)
    onehot = SPACE.encode(arch)
    assert onehot.shape == (30,)
    assert np.array_equal(onehot.reshape(6, 5).argmax(axis=1), arch.ops)
    assert onehot.sum() == 6
    assert np.array_equal(SPACE.encode(arch, "categorical"), [3, 0, 1, 4, 2, 1])
    batch = SPACE.encode_batch([arch, SPACE.from_index(0)], "onehot")
    assert batch.shape == (2, 30) and batch.dtype == np.float64
    with pytest.raises(ValueError, match="unknown encoding"):
        SPACE.encode(arch, "adjacency")


def test_path_encoding() -> None:
    assert PATH_ENCODING_LENGTH == 84
    arch = SPACE.from_str(EXAMPLE)
    path = SPACE.encode(arch, "path")
    assert path.shape == (84,)
    # skip on (0,3) -> bit 0; conv3x3->conv1x1 via node 1 -> 4 + 2*4 + 1 = 13;
    # path through (0,2) is cut by 'none'; conv3x3->avgpool->skip -> 20 + (2*4 + 3)*4 + 0 = 64.
    assert np.flatnonzero(path).tolist() == [0, 13, 64]
    disconnected = SPACE.from_str("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert not SPACE.encode(disconnected, "path").any()
    all_skip = SPACE.from_index(sum(5**k for k in range(6)))
    assert np.flatnonzero(SPACE.encode(all_skip, "path")).tolist() == [0, 4, 20]


def test_disconnected_cells_are_members() -> None:
    arch = SPACE.from_str("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert SPACE.is_valid(arch)
    assert arch in SPACE.all_archs()
