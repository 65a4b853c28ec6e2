"""Gymnasium environments of nasx11_env (installed as ``nasx11_env.envs``).

Importing this package registers every ``nasx11/...`` id (cheap specs, string entry points;
no data is read until an environment is made):

* ``nasx11/<B>-v0``            ``BudgetedNASEnv``: NAS under a compute budget, CONTINUE/STOP
* ``nasx11/EarlyStop-<B>-v0``  ``EarlyStopEnv``: stop or continue one training run
* ``nasx11/FreezeThaw-<B>-v0`` ``FreezeThawEnv``: K paused slots, train/replace slot i

for ``<B>`` in NB311, NLP11, NB111, NB201 and Synthetic (a SYNTHETIC benchmark for tests and
examples only). The simulation engine (``engine``) is free of gymnasium; the env classes are thin
adapters over it. ``registry.make_source(name)`` resolves a benchmark name to its curve source.
"""

from __future__ import annotations

from nasx11_env.envs.budgeted import CONTINUE, STOP, BudgetedNASEnv
from nasx11_env.envs.early_stop import EarlyStopEnv
from nasx11_env.envs.freeze_thaw import FreezeThawEnv
from nasx11_env.envs.registry import BENCHMARKS, make_source, register_envs

ENV_IDS: tuple[str, ...] = tuple(register_envs())

__all__ = [
    "BENCHMARKS",
    "CONTINUE",
    "ENV_IDS",
    "STOP",
    "BudgetedNASEnv",
    "EarlyStopEnv",
    "FreezeThawEnv",
    "make_source",
]
