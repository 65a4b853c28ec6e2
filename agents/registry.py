"""The baseline agents by name: ``AGENT_NAMES`` and ``make_agent(name, **params)``.

Parameters are checked when the agent is made (a throwaway strategy is built on the NB201 space
with a fixed generator, so bad values fail here rather than in the first run); an
``encoding=...`` can only be checked against the benchmark's space, at run time.
"""

from __future__ import annotations

import inspect
from functools import partial
from typing import Any

import numpy as np

from nasx11_env.agents.bananas import Bananas
from nasx11_env.agents.base import Agent
from nasx11_env.agents.hyperband import BracketAgent, random_sampler
from nasx11_env.agents.lce import with_lce
from nasx11_env.agents.search import LocalSearch, RandomSearch, RegularizedEvolution, Search
from nasx11_env.agents.sequential import SequentialAgent
from nasx11_env.agents.stopping import MedianStopping
from nasx11_env.agents.tpe import tpe_sampler
from nasx11_env.spaces import get_space

AGENT_NAMES: tuple[str, ...] = (
    "RS",
    "LS",
    "REA",
    "BANANAS",
    "SH",
    "HB",
    "BOHB",
    "RS-median",
    "LS-SVR",
    "REA-SVR",
    "BANANAS-SVR",
    "REA-WPM",
)
SEARCHES: dict[str, type[Search]] = {
    "RS": RandomSearch,
    "LS": LocalSearch,
    "REA": RegularizedEvolution,
    "BANANAS": Bananas,
}
LCE_PARAMS = ("first_epochs", "top_n", "target_epoch")
MEDIAN_PARAMS = ("every_k", "min_completed")
BRACKET_PARAMS = ("eta", "min_epochs", "checkpointing")
BOHB_PARAMS = (
    "min_points_in_model",
    "good_fraction",
    "random_fraction",
    "num_candidates",
    "encoding",
)
PROBE_SPACE = "nb201"
PROBE_EPOCHS = 20


def _keyword_params(func: Any) -> tuple[str, ...]:
    return tuple(
        name
        for name, p in inspect.signature(func).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    )


def _check_names(agent: str, params: dict[str, Any], accepted: tuple[str, ...]) -> None:
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise TypeError(
            f"make_agent({agent!r}) got unknown parameter(s) {', '.join(unknown)}; accepted: "
            f"{', '.join(accepted) or 'none'}"
        )


def _probe(factory: Any, params: dict[str, Any], *args: Any) -> None:
    """Build once on the probe space so bad values raise now (encodings wait for the run)."""
    checked = {k: v for k, v in params.items() if k != "encoding"}
    factory(get_space(PROBE_SPACE), np.random.default_rng(0), *args, **checked)


def _split(params: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {k: params.pop(k) for k in names if k in params}


def _sequential(
    name: str, base: str, params: dict[str, Any], extra: tuple[str, ...] = ()
) -> tuple[SequentialAgent, dict[str, Any]]:
    """The full-training agent of strategy ``base`` (named ``base``) and the ``extra`` params
    split off; ``name`` is the requested agent, for error messages."""
    cls = SEARCHES[base]
    _check_names(name, params, _keyword_params(cls) + extra)
    rest = _split(params, extra)
    _probe(cls, params)
    return SequentialAgent(base, partial(cls, **params), base), rest


def _bracket(name: str, params: dict[str, Any]) -> BracketAgent:
    _check_names(name, params, BRACKET_PARAMS + (BOHB_PARAMS if name == "BOHB" else ()))
    geometry = _split(params, BRACKET_PARAMS)
    if name == "BOHB":
        _probe(tpe_sampler, params, PROBE_EPOCHS)
        sampler: Any = partial(tpe_sampler, **params)
    else:
        sampler = random_sampler
    return BracketAgent(name, sampler, all_brackets=name != "SH", **geometry)


def make_agent(name: str, **params: Any) -> Agent:
    """A fresh baseline agent (see ``AGENT_NAMES``); ``params`` override its defaults, e.g.
    ``make_agent("REA-SVR", population_size=10, first_epochs=5)``. Unknown names raise a
    ValueError, unknown parameters a TypeError, bad values a ValueError."""
    if name == "RL":  # needs a trained policy file, so not in AGENT_NAMES (see rl_stopper.py)
        from nasx11_env.agents.rl_stopper import RLStopper

        return RLStopper(**params)
    if name not in AGENT_NAMES:
        raise ValueError(f"unknown agent {name!r}; choose one of {', '.join(AGENT_NAMES)}")
    if name in ("SH", "HB", "BOHB"):
        return _bracket(name, params)
    base, _, suffix = name.partition("-")
    if suffix == "median":
        agent, rule = _sequential(name, base, params, MEDIAN_PARAMS)
        return SequentialAgent(name, agent.search, base, MedianStopping(**rule))
    if suffix in ("SVR", "WPM"):
        agent, lce = _sequential(name, base, params, LCE_PARAMS)
        return with_lce(agent, suffix.lower(), **lce)
    return _sequential(name, base, params)[0]
