"""``train_rl``: train a PPO / MaskablePPO policy on a nasx11 environment and save it.

Training always uses ``arch_split="train"``: the architectures of the ``"test"`` split (a fixed
hash, ``split_seed``) are never seen, so ``evaluate_protocol`` can tell learning from
memorising. The run writes three files to ``out_dir``: ``policy.zip`` (SB3's format),
``policy.json`` (the sidecar, ``policy.PolicyInfo``) and ``episodes.csv`` (return, length and
the env's terminal info per episode). stable-baselines3 is imported only inside ``train_rl``.
"""

from __future__ import annotations

import importlib.util
import math
import time
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import gymnasium as gym

from nasx11_env.envs.budgeted import CONTINUE, STOP
from nasx11_env.rl.acting import BUDGETED, EARLY_STOP
from nasx11_env.rl.policy import (
    POLICY_FILE,
    SIDECAR_FILE,
    PolicyInfo,
    algo_class,
    check_algo,
    check_json_kwargs,
    parse_env_id,
)

EPISODES_FILE = "episodes.csv"
CLIP_OBS = 10.0  # normalised observations are clipped to +- this
TRAIN_SPLIT = "train"
# the budget, not a step count, ends a budgeted episode (a stopping policy takes many steps)
MAX_EPISODE_STEPS = 10**8
# gamma=1: the incumbent_delta / score rewards telescope to the objective (conventions 13.7);
# a high entropy bonus, slow learning rate and few epochs per rollout keep PPO from settling on
# "stop everything" before it learns which runs are worth finishing (EarlyStop-NLP11: with
# SB3's 0.0 / 3e-4 / 10 it did, within 50k steps)
DEFAULT_HYPERPARAMS: dict[str, Any] = {
    "gamma": 1.0,
    "n_steps": 512,
    "batch_size": 256,
    "n_epochs": 4,
    "ent_coef": 0.05,
    "learning_rate": 1e-4,
    "policy_kwargs": {"net_arch": [64, 64]},
}
# terminal info keys logged per episode, by env family (FreezeThaw shares the budgeted ones)
TERMINAL_KEYS: dict[str, tuple[str, ...]] = {
    BUDGETED: ("final_regret", "final_incumbent_true", "n_started", "is_success"),
    EARLY_STOP: ("stop_epoch", "oracle_return", "is_success"),
    "FreezeThaw-": ("final_regret", "final_incumbent_true", "n_started", "is_success"),
}


@dataclass(frozen=True)
class TrainResult:
    """Where ``train_rl`` wrote its files, and how long training took."""

    policy: Path
    sidecar: Path
    episodes_csv: Path
    steps: int
    seconds: float
    episodes: int

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else math.inf


def _check_count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def training_env_kwargs(env_kwargs: object) -> dict[str, Any]:
    """The user's env kwargs with ``arch_split="train"`` (any other split is refused)."""
    kwargs = check_json_kwargs(env_kwargs)
    split = kwargs.setdefault("arch_split", TRAIN_SPLIT)
    if split != TRAIN_SPLIT:
        raise ValueError(
            f"train_rl trains on arch_split='train' only (the 'test' architectures are held "
            f"out for evaluation), got arch_split={split!r}"
        )
    for name in ("max_episode_steps", "source"):
        if name in kwargs:
            raise ValueError(f"env_kwargs must not set {name!r}; train_rl sets it")
    return kwargs


def _probe(env_id: str, kwargs: dict[str, Any]) -> gym.Env:
    """One env made with the training kwargs: checks them now, gives layout and epochs."""
    return gym.make(env_id, max_episode_steps=MAX_EPISODE_STEPS, **kwargs).unwrapped


def _obs_norm(vec_env: Any) -> dict[str, Any]:
    """VecNormalize's observation statistics as JSON (no pickle file next to the policy)."""
    stats = vec_env.obs_rms
    return {
        "mean": [float(x) for x in stats.mean],
        "var": [float(x) for x in stats.var],
        "clip": float(vec_env.clip_obs),
        "epsilon": float(vec_env.epsilon),
    }


def _check_probability(value: object) -> float:
    ok = isinstance(value, Real) and not isinstance(value, bool) and 0.0 < value < 1.0
    if not ok:
        raise ValueError(f"continue_prob must be a number in (0, 1), got {value!r}")
    return float(value)


def _start_continuing(model: Any, continue_prob: float) -> None:
    """Set the action head's bias so the initial policy CONTINUEs with ``continue_prob`` (its
    weights start near 0: SB3 initialises the action head orthogonally with gain 0.01)."""
    import torch

    logit = math.log(continue_prob / (1.0 - continue_prob))
    with torch.no_grad():
        bias = model.policy.action_net.bias
        bias.zero_()
        bias[CONTINUE] = logit / 2
        bias[STOP] = -logit / 2


def _progress_bar_available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("tqdm", "rich"))


def _tensorboard_dir(tensorboard: object, out: Path) -> str | None:
    if tensorboard is None or tensorboard is False:
        return None
    if tensorboard is True:
        return str(out / "tensorboard")
    if not isinstance(tensorboard, (str, Path)):
        raise TypeError(f"tensorboard must be a folder, True or None, got {tensorboard!r}")
    if importlib.util.find_spec("tensorboard") is None:
        raise ImportError(
            "tensorboard logging needs the tensorboard package: pip install tensorboard"
        )
    return str(tensorboard)


def train_rl(
    env_id: str,
    algo: str = "ppo",
    steps: int = 100_000,
    seed: int = 0,
    out_dir: str | Path = "rl-policy",
    *,
    n_envs: int = 2,
    env_kwargs: dict[str, Any] | None = None,
    hyperparams: dict[str, Any] | None = None,
    tensorboard: str | Path | bool | None = None,
    continue_prob: float | None = None,
    normalize: bool = True,
    progress: bool = True,
) -> TrainResult:
    """Train ``algo`` for ``steps`` environment steps on ``n_envs`` copies of ``env_id``.

    Args:
        env_id: a registered id, e.g. ``"nasx11/EarlyStop-NB311-v0"`` or ``"nasx11/NLP11-v0"``.
        algo: ``"ppo"`` (stable-baselines3) or ``"maskable-ppo"`` (sb3-contrib).
        steps: total environment steps (> 0); seed: seeds the model and env ``i`` (``seed+i``).
        out_dir: folder for ``policy.zip``, ``policy.json`` and ``episodes.csv`` (created).
        env_kwargs: JSON-able env kwargs (budget, decision_points, reward, ...);
            ``arch_split`` is forced to ``"train"``.
        hyperparams: algorithm kwargs overriding ``DEFAULT_HYPERPARAMS`` (e.g. ``n_steps``).
        tensorboard: a log folder (or True for ``out_dir/tensorboard``); needs tensorboard.
        continue_prob: start from a policy that CONTINUEs with this probability (in (0, 1)),
            instead of 1/2: with ``n`` decision points a 50/50 policy completes a run with
            probability ``2**-n``, so the only runs that earn reward are almost never seen
            and PPO settles on stopping everything (conventions 13.4). ``Discrete(2)`` envs.
        normalize: standardise observations and rewards during training (SB3 VecNormalize).
            Scores of good architectures differ by a fraction of a percent (NB311: finals
            0.93 +- 0.005 of the [0, 1] range): unscaled, the policy cannot tell them apart.
            The final observation statistics go to the sidecar (``obs_norm``), and every
            user of the policy applies them (``acting.make_actor``).
        progress: SB3's progress bar if tqdm and rich are importable, else text lines.
    """
    family, _ = parse_env_id(env_id)
    algo = check_algo(algo)
    steps = _check_count("steps", steps, 1)
    seed = _check_count("seed", seed, 0)
    n_envs = _check_count("n_envs", n_envs, 1)
    kwargs = training_env_kwargs(env_kwargs)
    if continue_prob is not None:
        continue_prob = _check_probability(continue_prob)
        if family not in (BUDGETED, EARLY_STOP):
            raise ValueError("continue_prob needs a CONTINUE/STOP env (nasx11/<B>-v0, EarlyStop)")
    params = {**DEFAULT_HYPERPARAMS, **check_json_kwargs(hyperparams)}
    out = Path(out_dir)
    tb_dir = _tensorboard_dir(tensorboard, out)
    algorithm = algo_class(algo)  # ImportError with the install hint when SB3 is missing
    from stable_baselines3.common.env_util import make_vec_env

    from nasx11_env.rl.callbacks import EpisodeLog, TextProgress

    probe = _probe(env_id, kwargs)  # bad env kwargs fail here, before anything is written
    out.mkdir(parents=True, exist_ok=True)
    keys = TERMINAL_KEYS[family]
    vec_env = make_vec_env(
        env_id,
        n_envs=n_envs,
        seed=seed,
        env_kwargs={**kwargs, "max_episode_steps": MAX_EPISODE_STEPS},
        monitor_kwargs={"info_keywords": keys},
    )
    if normalize:
        from stable_baselines3.common.vec_env import VecNormalize

        vec_env = VecNormalize(vec_env, gamma=params["gamma"], clip_obs=CLIP_OBS)
    model = algorithm(
        "MlpPolicy", vec_env, seed=seed, device="cpu", tensorboard_log=tb_dir, **params
    )
    if continue_prob is not None:
        _start_continuing(model, continue_prob)
    log = EpisodeLog(out / EPISODES_FILE, keys)
    bar = progress and _progress_bar_available()
    callbacks = [log] if bar or not progress else [log, TextProgress(steps, log)]
    start = time.perf_counter()
    model.learn(total_timesteps=steps, callback=callbacks, progress_bar=bar)
    seconds = time.perf_counter() - start
    done = int(model.num_timesteps)  # whole rollouts: at least ``steps``
    vec_env.close()
    model.save(str(out / POLICY_FILE))
    import stable_baselines3

    import nasx11_env

    info = PolicyInfo(
        env_id=env_id,
        env_kwargs=kwargs,
        algo=algo,
        steps=done,
        seed=seed,
        n_envs=n_envs,
        hyperparams=params,
        continue_prob=continue_prob,
        obs_layout={k: [v.start, v.stop] for k, v in probe.obs_layout.items()},
        obs_norm=_obs_norm(vec_env) if normalize else None,
        decision_epochs=list(probe.decision_epochs),
        n_epochs=probe.n_epochs,
        package_version=nasx11_env.__version__,
        sb3_version=stable_baselines3.__version__,
        train_seconds=seconds,
    )
    info.write(out / SIDECAR_FILE)
    return TrainResult(
        out / POLICY_FILE, out / SIDECAR_FILE, out / EPISODES_FILE, done, seconds, log.episodes
    )
