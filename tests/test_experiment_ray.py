"""The Ray backend: same rows as the process pool on a local Ray instance (skipped without
Ray), and a clear error naming the ``dist`` extra when Ray is missing."""

from __future__ import annotations

import sys

import gymnasium as gym
import pytest

from nasx11_env.experiment import BackendUnavailableError, run_comparison


class AlwaysContinue:
    name = "continue"
    env_family = ""

    def env_kwargs(self, n_epochs: int) -> dict:
        return {}

    def run(self, env: gym.Env, seed: int) -> None:
        env.reset(seed=seed)
        terminated = False
        while not terminated:
            _, _, terminated, _, _ = env.step(0)


def _compare(out, backend: str, workers: int):
    return run_comparison(
        "synthetic", [AlwaysContinue()], n_trials=3, budget_seconds=2000.0, workers=workers,
        backend=backend, out_dir=out, plot=False, progress=False,
    )  # fmt: skip


def test_missing_ray_names_the_dist_extra(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(BackendUnavailableError, match=r"nasx11-env\[dist\]"):
        _compare(tmp_path / "out", "ray", 2)
    assert not (tmp_path / "out").exists()


def test_ray_gives_the_same_rows_as_the_process_pool(tmp_path) -> None:
    ray = pytest.importorskip("ray", reason="Ray is not installed (the dist extra)")
    # the agent class lives in this test module, which Ray workers cannot import by name
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    on_ray = _compare(tmp_path / "ray", "ray", 2)
    assert not ray.is_initialized()  # the local instance it started is shut down
    pooled = _compare(tmp_path / "pool", "process", 2)
    assert on_ray.rows == pooled.rows
    assert len(on_ray.rows) == 3
