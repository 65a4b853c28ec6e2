"""The ``nasx11`` command line: one sub-command per job, each in a small function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from nasx11_env.errors import Nasx11Error
from nasx11_env.experiment.cli import add_compare_parser
from nasx11_env.rl.cli import add_train_rl_parser
from nasx11_env.surrogate.fidelity import add_evaluate_parser


def _cmd_spaces(args: argparse.Namespace) -> int:
    from nasx11_env.spaces import SPACE_NAMES, get_space

    rng = np.random.default_rng(0)
    print(f"{'space':<7} {'size':>22}  encodings (dims)")
    for name in SPACE_NAMES:
        space = get_space(name)
        example = space.sample(rng)
        dims = ", ".join(f"{enc} ({len(space.encode(example, enc))})" for enc in space.encodings)
        size = f"{space.size:,}" if space.size is not None else "not enumerable"
        print(f"{name:<7} {size:>22}  {dims}")
        if args.verbose:
            print(f"        size: {space.size_note}")
            print(f"        example: {space.to_str(example)}")
    return 0


def _cmd_data_check(args: argparse.Namespace) -> int:
    from nasx11_env.data.paths import find_data_dir
    from nasx11_env.data.sources import check_sources

    root = find_data_dir(args.path)
    if root is None or not root.is_dir():
        where = root if root is not None else "../shared/data"
        print(f"no data folder at {where}: pass a PATH or set NASX11_DATA")
        return 1
    print(f"data folder: {root.resolve()}")
    report = check_sources(root)
    for status in report:
        mark = "ok " if status.found else "-- "
        print(f"{mark}{status.source.name:<24} space={status.source.space:<6} {status.detail}")
        print(f"    licence: {status.source.licence}; source: {status.source.origin}")
    return 0 if any(status.found for status in report) else 1


def _cmd_build(args: argparse.Namespace) -> int:
    from nasx11_env.surrogate import build

    out = args.out or f"{args.benchmark}-v1"
    if args.benchmark == "nb111":
        if args.data is None:
            print("nasx11 build nb111 needs --data: the NB101 results.json shards", file=sys.stderr)
            return 2
        folder = build.build_nb111(out, args.data, seed=args.seed, small=args.small)
    else:
        builder = build.build_nb311 if args.benchmark == "nb311" else build.build_nlp11
        folder = builder(out, data_root=args.data, seed=args.seed, small=args.small)
    print(f"wrote {folder}; use it with NASX11_ARTIFACTS={folder.resolve().parent}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``nasx11`` (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(
        prog="nasx11", description="NAS-Bench-x11 surrogates as Gymnasium environments."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    spaces = commands.add_parser("spaces", help="list the search spaces and their sizes")
    spaces.add_argument("-v", "--verbose", action="store_true", help="also show an example")
    spaces.set_defaults(func=_cmd_spaces)

    data = commands.add_parser("data", help="inspect the real data sets")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    check = data_commands.add_parser("check", help="what data is found, counts, licences")
    check.add_argument(
        "path", nargs="?", help="data folder (default: $NASX11_DATA or ../shared/data)"
    )
    check.set_defaults(func=_cmd_data_check)

    build = commands.add_parser("build", help="fit a benchmark's surrogate artifact from data")
    build.add_argument("benchmark", choices=("nb311", "nlp11", "nb111"))
    build.add_argument(
        "--data",
        help="data folder (nb311/nlp11: default $NASX11_DATA or "
        "../shared/data; nb111: the NB101 results.json shards, required)",
    )
    build.add_argument("--out", help="output directory (default ./<benchmark>-v1)")
    build.add_argument("--seed", type=int, default=0, help="build seed (default 0)")
    build.add_argument("--small", action="store_true", help="a tiny, fast build (for tests)")
    build.set_defaults(func=_cmd_build)

    add_evaluate_parser(commands)
    add_compare_parser(commands)
    add_train_rl_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Nasx11Error as error:
        print(f"nasx11: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
