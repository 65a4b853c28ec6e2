"""Where trials run: in this process, in a local process pool, or on Ray.

Each backend yields result rows in the order trials finish; a row depends on its task alone,
so every backend and worker count gives the same rows. On an exception or interrupt, trials
not started yet are cancelled.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from itertools import islice
from typing import Any

from nasx11_env.errors import Nasx11Error
from nasx11_env.experiment.plan import ExperimentError, TrialTask
from nasx11_env.experiment.trial import run_trial

BACKENDS = ("process", "ray")


class BackendUnavailableError(Nasx11Error, ImportError):
    """The chosen backend's optional dependency is not installed."""


def default_workers() -> int:
    return os.cpu_count() or 1


def check_backend(backend: object) -> str:
    """``backend`` if known and importable, else an ExperimentError / BackendUnavailableError."""
    if backend not in BACKENDS:
        raise ExperimentError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "ray":
        _import_ray()
    return backend


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BackendUnavailableError(
            "backend 'ray' needs Ray, which is not installed: pip install 'nasx11-env[dist]'"
        ) from None
    return ray


def run_tasks(tasks: Sequence[TrialTask], backend: str, workers: int) -> Iterator[dict[str, Any]]:
    """Rows of ``tasks`` as they finish, on ``backend`` with ``workers`` parallel trials."""
    if backend == "ray":
        return _run_ray(tasks, workers)
    if workers == 1 or len(tasks) <= 1:
        return (run_trial(task) for task in tasks)
    return _run_pool(tasks, workers)


def _run_pool(tasks: Sequence[TrialTask], workers: int) -> Iterator[dict[str, Any]]:
    """A process pool fed at most ``2 x workers`` trials at a time: an interrupt then waits for
    few running trials (submitting every trial up front can hang the pool's shutdown after an
    interrupt on CPython 3.11)."""
    executor = ProcessPoolExecutor(max_workers=min(workers, len(tasks)))
    queue = iter(tasks)
    try:
        pending = {executor.submit(run_trial, task) for task in islice(queue, 2 * workers)}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            pending |= {executor.submit(run_trial, task) for task in islice(queue, len(done))}
            for future in done:
                yield future.result()
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _run_ray(tasks: Sequence[TrialTask], workers: int) -> Iterator[dict[str, Any]]:
    """On the Ray instance this process is connected to, else on a local one with ``workers``
    CPUs (shut down at the end)."""
    ray = _import_ray()
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    pending: list[Any] = []
    try:
        remote = ray.remote(num_cpus=1)(run_trial)
        pending = [remote.remote(task) for task in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        for ref in pending:
            ray.cancel(ref)
        if started:
            ray.shutdown()
