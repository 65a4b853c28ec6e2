"""``nasx11 compare``: the parser of the sub-command and its handler (wired in ``nasx11_env.cli``).

Bad values (unknown agent or benchmark, non-positive trials, budget or workers) are argparse
errors: usage and a one-line reason, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from nasx11_env.envs.registry import BENCHMARKS
from nasx11_env.experiment import plan
from nasx11_env.experiment.backends import BACKENDS
from nasx11_env.experiment.plan import DEFAULT_BUDGETS, DEFAULT_THRESHOLD, ExperimentError
from nasx11_env.experiment.results import ROWS_FILE


def _agent_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one agent name, e.g. RS,REA")
    try:
        canonical = [plan.canonical_agent_name(name) for name in names]
    except ExperimentError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    repeated = sorted({name for name in canonical if canonical.count(name) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(f"agent(s) named twice: {', '.join(repeated)}")
    return canonical


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        return value

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (0.0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _cmd_compare(args: argparse.Namespace) -> int:
    from nasx11_env.experiment.runner import run_comparison

    agents = args.agents or list(plan.agent_names())
    out = args.out or f"nasx11-compare-{args.benchmark}"
    try:
        result = run_comparison(
            args.benchmark,
            agents,
            n_trials=args.trials,
            budget_seconds=args.budget,
            seed=args.seed,
            workers=args.workers,
            backend=args.backend,
            out_dir=out,
            resume=args.resume,
            threshold=args.threshold,
            plot=not args.no_plot,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: finished trials are kept in {out}/{ROWS_FILE}; "
            "run the same command with --resume to finish",
            file=sys.stderr,
        )
        return 130
    print(
        f"{result.benchmark}: {len(result.agents)} agents x {args.trials} trials, "
        f"budget {result.budget_seconds:g} simulated seconds each"
    )
    print(result.table())
    print(f"results: {result.out_dir}  (checkpoints: {result.checkpoints_path.name})")
    if result.plot_path is not None:
        print(f"plot: {result.plot_path}")
    elif result.plot_note:
        print(result.plot_note)
    return 0


def add_compare_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``compare`` to the ``nasx11`` sub-command parsers; returns its parser."""
    budgets = ", ".join(f"{name} {seconds:g}" for name, seconds in DEFAULT_BUDGETS.items())
    compare = subparsers.add_parser(
        "compare",
        help="compare NAS agents on a benchmark under a simulated time budget",
        description="Run every agent n times on one benchmark; write trial rows, a manifest, "
        "a checkpoint CSV and a regret plot to --out; print a summary table.",
    )
    compare.add_argument(
        "--benchmark", type=str.lower, choices=tuple(BENCHMARKS), default="nb311",
        help="benchmark (default: nb311)",
    )  # fmt: skip
    compare.add_argument(
        "--agents", type=_agent_list, default=None,
        help="comma-separated agent names (default: every agent)",
    )  # fmt: skip
    compare.add_argument(
        "--trials", type=_positive_int, default=30, help="searches per agent (default: 30)"
    )
    compare.add_argument(
        "--budget", type=_positive_float, default=None, metavar="SECONDS",
        help=f"simulated seconds per search (default per benchmark: {budgets})",
    )  # fmt: skip
    compare.add_argument(
        "--workers", type=_positive_int, default=None, help="parallel trials (default: CPU count)"
    )
    compare.add_argument(
        "--backend", choices=BACKENDS, default="process",
        help="process pool, or ray (needs the dist extra); default: process",
    )  # fmt: skip
    compare.add_argument("--seed", type=_non_negative_int, default=0, help="base seed (default: 0)")
    compare.add_argument(
        "--out", default=None, metavar="DIR",
        help="output folder (default: nasx11-compare-<benchmark>)",
    )  # fmt: skip
    compare.add_argument(
        "--resume", action="store_true", help="keep the trials already in --out, run the rest"
    )
    compare.add_argument(
        "--threshold", type=_positive_float, default=DEFAULT_THRESHOLD,
        help=f"regret the table reports the time to reach (default: {DEFAULT_THRESHOLD:g})",
    )  # fmt: skip
    compare.add_argument("--no-plot", action="store_true", help="do not draw regret.png")
    compare.set_defaults(func=_cmd_compare)
    return compare
