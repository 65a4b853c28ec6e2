"""Saved RL policies: the JSON sidecar next to SB3's ``.zip`` and loading both back.

A policy trained by ``train_rl`` is two files in one folder: ``policy.zip`` (SB3's own format,
written by ``model.save``) and ``policy.json``, the sidecar saying what it was trained on: the
environment id and keyword arguments, the algorithm, steps, seed and package versions, and the
observation layout, so evaluation and the ``RLStopper`` agent re-make the same kind of
environment. Reading a sidecar needs no torch; ``load_model`` imports SB3 only when called.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nasx11_env.envs.registry import BENCHMARKS, ENV_FAMILIES, Benchmark, env_id

SIDECAR_FORMAT = "nasx11-rl-policy"
SIDECAR_VERSION = 1
POLICY_FILE = "policy.zip"
SIDECAR_FILE = "policy.json"
# algorithm name -> (module, class) imported on demand
ALGOS: dict[str, tuple[str, str]] = {
    "ppo": ("stable_baselines3", "PPO"),
    "maskable-ppo": ("sb3_contrib", "MaskablePPO"),
}
RL_EXTRA_HINT = "install the rl extra: pip install 'nasx11-env[rl]' (with a CPU torch first)"


class PolicyFileError(ValueError):
    """A policy file or its sidecar is missing, unreadable or inconsistent."""


def parse_env_id(name: object) -> tuple[str, Benchmark]:
    """``(family, benchmark)`` of a registered ``nasx11/...`` id, else a ValueError."""
    for benchmark in BENCHMARKS.values():
        for family in ENV_FAMILIES:
            if env_id(family, benchmark) == name:
                return family, benchmark
    raise ValueError(
        f"env_id must be a registered nasx11 id such as 'nasx11/EarlyStop-NB311-v0' or "
        f"'nasx11/NLP11-v0', got {name!r}"
    )


def check_algo(algo: object) -> str:
    """``algo`` if it is one of ``ALGOS``, else a ValueError naming the argument."""
    if not isinstance(algo, str) or algo not in ALGOS:
        raise ValueError(f"algo must be one of {', '.join(map(repr, ALGOS))}, got {algo!r}")
    return algo


def check_json_kwargs(kwargs: object) -> dict[str, Any]:
    """A copy of ``kwargs`` (env or algorithm keyword arguments) if JSON can store it."""
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise TypeError(f"keyword arguments must be a dict with str keys, got {kwargs!r}")
    try:
        return json.loads(json.dumps(kwargs, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"keyword arguments must be JSON values (names, numbers, lists) so the sidecar can "
            f"record them ({error}); got {kwargs!r}"
        ) from None


@dataclass(frozen=True)
class PolicyInfo:
    """The sidecar: what a saved policy was trained on (see the module docstring)."""

    env_id: str
    env_kwargs: dict[str, Any]
    algo: str
    steps: int
    seed: int
    n_envs: int
    hyperparams: dict[str, Any]
    continue_prob: float | None
    obs_layout: dict[str, list[int]]
    obs_norm: dict[str, Any] | None
    decision_epochs: list[int]
    n_epochs: int
    package_version: str
    sb3_version: str
    train_seconds: float = math.nan
    format: str = field(default=SIDECAR_FORMAT)
    format_version: int = field(default=SIDECAR_VERSION)

    @property
    def family(self) -> str:
        return parse_env_id(self.env_id)[0]

    @property
    def benchmark(self) -> Benchmark:
        return parse_env_id(self.env_id)[1]

    def write(self, path: Path) -> None:
        data = asdict(self)
        if not math.isfinite(self.train_seconds):
            data["train_seconds"] = None
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def sidecar_path(policy: str | Path) -> Path:
    """The sidecar of a policy given as its ``.zip``, its ``.json`` or its folder."""
    path = Path(policy)
    if path.is_dir():
        return path / SIDECAR_FILE
    return path.with_suffix(".json")


def policy_path(policy: str | Path) -> Path:
    """The ``.zip`` of a policy given as its ``.zip``, its ``.json`` or its folder."""
    path = Path(policy)
    if path.is_dir():
        return path / POLICY_FILE
    return path.with_suffix(".zip")


def read_sidecar(policy: str | Path) -> PolicyInfo:
    """The ``PolicyInfo`` of a saved policy (no torch needed); PolicyFileError if absent/bad."""
    if not isinstance(policy, (str, Path)):
        raise TypeError(f"policy must be a path, got {type(policy).__name__}")
    path = sidecar_path(policy)
    if not path.is_file():
        raise PolicyFileError(f"{path}: no policy sidecar; train one with nasx11 train-rl")
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise PolicyFileError(f"{path}: unreadable sidecar ({error})") from None
    if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
        raise PolicyFileError(f"{path}: not a {SIDECAR_FORMAT} sidecar")
    if data.get("format_version") != SIDECAR_VERSION:
        raise PolicyFileError(
            f"{path}: sidecar format_version {data.get('format_version')!r}, this package "
            f"reads {SIDECAR_VERSION}"
        )
    if data.get("train_seconds") is None:
        data["train_seconds"] = math.nan
    try:
        info = PolicyInfo(**data)
        info.family  # noqa: B018 - validates the env id
    except (TypeError, ValueError) as error:
        raise PolicyFileError(f"{path}: inconsistent sidecar ({error})") from None
    return info


def algo_class(algo: str) -> Any:
    """The SB3 class of ``algo`` (imports SB3 / sb3-contrib now)."""
    module_name, class_name = ALGOS[check_algo(algo)]
    try:
        module = __import__(module_name, fromlist=[class_name])
    except ImportError as error:
        raise ImportError(f"algo {algo!r} needs {module_name}: {RL_EXTRA_HINT}") from error
    return getattr(module, class_name)


def load_model(policy: str | Path) -> tuple[Any, PolicyInfo]:
    """The SB3 model (on CPU) and the sidecar of a saved policy."""
    info = read_sidecar(policy)
    path = policy_path(policy)
    if not path.is_file():
        raise PolicyFileError(f"{path}: policy file missing next to its sidecar")
    model = algo_class(info.algo).load(str(path), device="cpu")
    return model, info
