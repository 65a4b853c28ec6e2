"""CurveDataset validates what loaders hand it and keeps rows, groups and extras aligned."""

from __future__ import annotations

import numpy as np
import pytest

from nasx11_env.data import CurveDataset, Metric, Provenance, data_dir, find_data_dir
from nasx11_env.errors import DataError
from nasx11_env.spaces import get_space

ACC = Metric("val_acc", "%", higher_is_better=True)
PROVENANCE = Provenance("unit test", "n/a", "n/a", path="memory://fixture")


def _dataset(curve: np.ndarray, **kwargs) -> CurveDataset:
    space = get_space("nb201")
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(curve.shape[0])]
    return CurveDataset(
        space=space,
        archs=archs,
        epochs=np.arange(1, curve.shape[1] + 1),
        curves={"val_acc": curve},
        metrics={"val_acc": ACC},
        provenance=PROVENANCE,
        **kwargs,
    )


def test_shapes_groups_and_encoding() -> None:
    dataset = _dataset(np.linspace(10, 90, 12).reshape(4, 3), groups=[0, 0, 1, 1])
    assert len(dataset) == 4 and dataset.n_epochs == 3
    assert dataset.encode().shape == (4, len(dataset.space.encode(dataset.archs[0])))
    assert "4 curves x 3 epochs" in dataset.summary()
    assert "2 groups" in dataset.summary()


def test_subset_keeps_rows_aligned() -> None:
    curve = np.arange(12, dtype=float).reshape(4, 3)
    dataset = _dataset(curve, groups=[5, 6, 7, 8], extras={"params": np.array([1, 2, 3, 4])})
    part = dataset.subset([3, 1])
    np.testing.assert_array_equal(part.curves["val_acc"], curve[[3, 1]])
    np.testing.assert_array_equal(part.groups, [8, 6])
    np.testing.assert_array_equal(part.extras["params"], [4, 2])
    assert part.archs == [dataset.archs[3], dataset.archs[1]]
    mask = np.array([True, False, False, True])
    assert len(dataset.subset(mask)) == 2


def test_nan_is_rejected_with_path_and_row() -> None:
    curve = np.ones((3, 4))
    curve[2, 1] = np.nan
    expected = r"memory://fixture: curve 'val_acc' has 1 non-finite .*row 2"
    with pytest.raises(DataError, match=expected):
        _dataset(curve)


def test_wrong_shapes_are_rejected() -> None:
    with pytest.raises(DataError, match="shape"):
        _dataset(np.ones((3, 4)), runtime=np.ones((3, 5)))
    with pytest.raises(DataError, match="groups"):
        _dataset(np.ones((3, 4)), groups=[0, 1])
    with pytest.raises(DataError, match="extra 'params'"):
        _dataset(np.ones((3, 4)), extras={"params": np.ones(2)})


def test_data_dir_resolution(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NASX11_DATA", str(tmp_path))
    assert find_data_dir() == tmp_path
    assert data_dir(tmp_path) == tmp_path
    with pytest.raises(DataError, match="does not exist"):
        data_dir(tmp_path / "missing")
    monkeypatch.delenv("NASX11_DATA")
    monkeypatch.chdir(tmp_path)
    assert find_data_dir() is None
    with pytest.raises(DataError, match="NASX11_DATA"):
        data_dir()
