"""Baseline NAS agents of nasx11_env (installed as ``nasx11_env.agents``).

``make_agent(name, **params)`` builds one of ``AGENT_NAMES``; an agent declares the environment
family it acts on (``agent.env_family``) and the keyword arguments that environment must be made
with (``agent.env_kwargs(n_epochs)``), then ``agent.run(env, seed)`` searches until the budget
is spent. Agents act through the public environment API only (``reset``/``step``, ``propose``,
``revealed_curve``, ``info``) and draw every random number from ``agent_rng(seed)`` (a stream
of the seed independent of the environment's).

* ``nasx11/<B>-v0`` (one architecture at a time, ``proposer="agent"``): ``RS`` (random search),
  ``LS`` (local search), ``REA`` (regularized evolution), ``BANANAS`` (neural ensemble + ITS),
  ``RS-median`` (median stopping rule), ``LS-SVR``/``REA-SVR``/``BANANAS-SVR`` (LcSVR
  extrapolation, ``with_lce``) and ``REA-WPM`` (parametric curve ensemble).
* ``nasx11/FreezeThaw-<B>-v0`` (paused slots with checkpointing): ``SH`` (successive halving),
  ``HB`` (Hyperband), ``BOHB`` (Hyperband with a TPE density-ratio sampler).
"""

from nasx11_env.agents.base import Agent
from nasx11_env.agents.hyperband import BracketAgent, hyperband_brackets
from nasx11_env.agents.lce import with_lce
from nasx11_env.agents.registry import AGENT_NAMES, make_agent
from nasx11_env.agents.sequential import SequentialAgent

__all__ = [
    "AGENT_NAMES",
    "Agent",
    "BracketAgent",
    "SequentialAgent",
    "hyperband_brackets",
    "make_agent",
    "with_lce",
]
