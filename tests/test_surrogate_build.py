"""Artifact builds, the catalog and the curve source: small builds are deterministic and load."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from nasx11_env.cli import main
from nasx11_env.curves import CurveSource
from nasx11_env.surrogate import catalog
from nasx11_env.surrogate.build import build_nb111, build_nb311, build_nlp11
from nasx11_env.surrogate.catalog import (
    ArtifactNotFoundError,
    find_artifact,
    source_from_artifact,
)
from nasx11_env.surrogate.serialization import MODEL_FILE, SurrogateFileError, sha256

NB101_RUNS = Path(__file__).parent / "fixtures" / "nb101" / "runs"


def _files(folder: Path) -> dict[str, str]:
    return {f.name: sha256(f) for f in sorted(folder.iterdir())}


def test_nb111_build_from_official_format_is_deterministic_and_loads(tmp_path: Path) -> None:
    first = build_nb111(tmp_path / "a" / "nb111-v1", NB101_RUNS, small=True)
    second = build_nb111(tmp_path / "b" / "nb111-v1", NB101_RUNS, small=True)
    assert _files(first)[MODEL_FILE] == _files(second)[MODEL_FILE]
    source = source_from_artifact(first)
    assert isinstance(source, CurveSource) and source.n_epochs == 2
    card = json.loads((first / "manifest.json").read_text())["card"]
    assert card["licence"] == "MIT" and "nasx11 build nb111" in card["build_command"]


def test_user_built_nb111_is_found_through_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NASX11_ARTIFACTS", str(tmp_path))
    catalog.load_benchmark_source.cache_clear()
    with pytest.raises(ArtifactNotFoundError, match="nasx11 build nb111 --data"):
        find_artifact("nb111")
    assert (
        main(
            [
                "build",
                "nb111",
                "--data",
                str(NB101_RUNS),
                "--out",
                str(tmp_path / "nb111-v1"),
                "--small",
            ]
        )
        == 0
    )
    assert find_artifact("nb111") == tmp_path / "nb111-v1"
    env = gym.make("nasx11/EarlyStop-NB111-v0")
    _, info = env.reset(seed=0)
    assert info["epoch"] >= 1
    catalog.load_benchmark_source.cache_clear()


def test_build_nb111_without_data_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "nb111"]) == 2
    assert "--data" in capsys.readouterr().err


def test_unknown_benchmark_artifact() -> None:
    with pytest.raises(ValueError, match="no surrogate artifact"):
        find_artifact("nb999")


@pytest.mark.parametrize("benchmark", ["nb311", "nlp11"])
def test_shipped_artifact_loads_offline_and_gives_seeded_curves(benchmark: str) -> None:
    source = source_from_artifact(find_artifact(benchmark))
    rng = np.random.default_rng(3)
    archs = [source.space.sample(rng) for _ in range(5)]
    first = source.curves(archs, np.random.default_rng(7))
    again = source.curves(archs, np.random.default_rng(7))
    other = source.curves(archs, np.random.default_rng(8))
    assert first.observed.shape == (5, source.n_epochs)
    np.testing.assert_array_equal(first.observed, again.observed)
    np.testing.assert_array_equal(first.mean, other.mean)
    assert not np.array_equal(first.observed, other.observed)
    assert np.all(first.runtime > 0)
    assert np.all(np.isfinite(first.mean))
    finals = first.mean[:, -1]
    assert np.all((finals > source.score.lower) & (finals < source.score.upper))
    card = json.loads((find_artifact(benchmark) / "manifest.json").read_text())["card"]
    for key in ("source", "licence", "attribution", "noise", "build_command"):
        assert card[key]


def test_a_corrupted_copy_of_a_shipped_artifact_is_refused(tmp_path: Path) -> None:
    folder = find_artifact("nlp11")
    copy = tmp_path / "nlp11-v1"
    copy.mkdir()
    for file in folder.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    data = bytearray((copy / "arrays.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "arrays.npz").write_bytes(bytes(data))
    with pytest.raises(SurrogateFileError, match="checksum"):
        source_from_artifact(copy)


@pytest.mark.data
@pytest.mark.parametrize("builder", [build_nb311, build_nlp11])
def test_small_builds_are_deterministic_and_load(
    builder: object, data_root: Path, tmp_path: Path
) -> None:
    for module in ("onnxruntime", "onnx", "torch") if builder is build_nb311 else ():
        pytest.importorskip(module)
    first = builder(tmp_path / "a" / "x-v1", data_root=data_root, small=True)
    second = builder(tmp_path / "b" / "x-v1", data_root=data_root, small=True)
    assert _files(first)[MODEL_FILE] == _files(second)[MODEL_FILE]
    assert _files(first)["arrays.npz"] == _files(second)["arrays.npz"]
    source = source_from_artifact(first)
    batch = source.curves([source.space.sample(np.random.default_rng(0))], np.random.default_rng(0))
    assert batch.observed.shape == (1, source.n_epochs)
