"""Every registered nasx11 id that can be made passes stable-baselines3's ``check_env``."""

from __future__ import annotations

import warnings
from functools import cache

import gymnasium as gym
import pytest

from nasx11_env.curves import CurveSource
from nasx11_env.envs import ENV_IDS, make_source
from nasx11_env.envs.registry import SurrogateUnavailableError

pytest.importorskip("stable_baselines3")
# one torch thread: tiny MLPs gain nothing from more, and shared CI cores lose a lot
pytest.importorskip("torch").set_num_threads(1)
from stable_baselines3.common.env_checker import check_env  # noqa: E402


@cache
def _source(name: str) -> CurveSource:
    """One load per benchmark, shared by its three ids (loading NB311 takes seconds)."""
    return make_source(name)


@pytest.mark.parametrize("name", ENV_IDS)
def test_sb3_check_env_accepts_every_makeable_id(name: str) -> None:
    try:
        source = _source(gym.spec(name).kwargs["source"])
    except SurrogateUnavailableError as error:  # NB111, NB201: no shipped surrogate
        pytest.skip(f"{name} cannot be made here: {error}")
    env = gym.make(name, source=source)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an SB3 compatibility warning fails the test too
        check_env(env, warn=True, skip_render_check=True)
    env.close()
