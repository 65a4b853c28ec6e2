"""``RLStopper`` ("RL"): a trained RL policy as a stopping rule inside random search.

The agent acts on ``nasx11/<B>-v0`` (``BudgetedNASEnv``): the environment proposes the
architectures (its ``proposer``, restricted to ``arch_split``, ``"test"`` by default: the
architectures the policy never saw in training), and at every decision point the policy says
``CONTINUE`` or ``STOP`` (deterministic actions). It is random search with a learned stopper.

It loads a policy saved by ``nasx11_env.rl.train_rl`` (``policy.zip`` + ``policy.json``) and
takes the environment kwargs from the sidecar, so it acts on the kind of environment it was
trained on (same decision points, observation window, proposer, noise). Two kinds of policy:

* trained on ``nasx11/<B>-v0``: acts on it as trained. It observes the fraction of the budget
  used, so use it with the budget (and unit) it was trained with (``trained_budget``).
* trained on ``nasx11/EarlyStop-<B>-v0`` (best with ``reward="vs_threshold"``): each budgeted
  observation is mapped onto the early-stop layout, with the search's incumbent (best observed
  final score so far) as the threshold; see ``nasx11_env.rl.acting``. Any budget works.

Loading the policy imports stable-baselines3 (the ``rl`` extra) at the first ``run``; making
the agent only reads the JSON sidecar. The loaded model is not pickled with the agent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym

from nasx11_env.agents.base import check_env_config, check_seed, unwrap_env
from nasx11_env.envs import BudgetedNASEnv
from nasx11_env.envs.base import check_choice
from nasx11_env.rl.acting import BUDGETED, make_actor, run_episode, search_env_kwargs
from nasx11_env.rl.policy import load_model, read_sidecar


class RLStopper:
    """Random search whose stopping decisions come from a trained policy (module docstring).

    Args:
        policy: the policy's ``.zip``, its ``.json`` sidecar or their folder.
        arch_split: architectures the environment proposes: ``"test"`` (held out, default),
            ``"train"`` or ``"all"``.
        name: label in result tables (default ``"RL"``).
    """

    env_family = BUDGETED

    def __init__(
        self, policy: str | Path | None = None, *, arch_split: str = "test", name: str = "RL"
    ) -> None:
        if policy is None:
            raise TypeError("the RL agent needs policy=PATH: a policy saved by nasx11 train-rl")
        self.policy = Path(policy)
        self.info = read_sidecar(self.policy)
        self.arch_split = check_choice("arch_split", arch_split, ("all", "train", "test"))
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty str, got {name!r}")
        self.name = name
        self._kwargs = search_env_kwargs(self.info)
        self._model: Any = None

    @property
    def trained_budget(self) -> tuple[Any, Any]:
        """``(budget, budget_unit)`` of training (``None`` for the env's default budget)."""
        kwargs = self.info.env_kwargs
        return kwargs.get("budget"), kwargs.get("budget_unit", "epochs")

    def env_kwargs(self, n_epochs: int) -> dict[str, Any]:
        """The sidecar's env kwargs (without budget) and ``arch_split``; a ValueError when
        ``n_epochs`` is not the length of the benchmark the policy was trained on."""
        if n_epochs != self.info.n_epochs:
            raise ValueError(
                f"the policy {self.policy} was trained on {self.info.env_id} ({self.info.n_epochs}"
                f" epochs); it cannot act on a benchmark of {n_epochs} epochs"
            )
        return {**self._kwargs, "arch_split": self.arch_split}

    def run(self, env: gym.Env, seed: int) -> None:
        seed = check_seed(seed)
        inner = unwrap_env(env, BudgetedNASEnv, self.name)
        self.env_kwargs(inner.n_epochs)
        check_env_config(inner, self.name, {"decision_points": self.info.decision_epochs})
        if self._model is None:
            self._model = load_model(self.policy)[0]
        run_episode(make_actor(self._model, self.info, env), env, seed)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the loaded model (worker processes reload it from the file)."""
        return {**self.__dict__, "_model": None}
