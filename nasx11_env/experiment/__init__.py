"""Experiments behind ``nasx11 compare``: many searches of many agents on one benchmark.

``run_comparison`` runs them (in this process, a process pool or on Ray), writes trial rows,
a manifest, a checkpoint CSV and a regret plot to an output folder, and returns per-agent
summaries.
"""

from __future__ import annotations

from nasx11_env.experiment.backends import BACKENDS, BackendUnavailableError
from nasx11_env.experiment.plan import (
    CHECKPOINT_FRACTIONS,
    DEFAULT_BUDGETS,
    DEFAULT_THRESHOLD,
    ExperimentError,
    trial_seed,
)
from nasx11_env.experiment.runner import ComparisonResult, run_comparison
from nasx11_env.experiment.summary import AgentSummary, summarize
from nasx11_env.experiment.trace import TraceRecorder

__all__ = [
    "BACKENDS",
    "CHECKPOINT_FRACTIONS",
    "DEFAULT_BUDGETS",
    "DEFAULT_THRESHOLD",
    "AgentSummary",
    "BackendUnavailableError",
    "ComparisonResult",
    "ExperimentError",
    "TraceRecorder",
    "run_comparison",
    "summarize",
    "trial_seed",
]
