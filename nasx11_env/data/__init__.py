"""Real learning-curve data in one in-memory form, :class:`CurveDataset`."""

from __future__ import annotations

from nasx11_env.data.dataset import CurveDataset, ExcludedRun, Metric, Provenance
from nasx11_env.data.paths import data_dir, data_file, find_data_dir

__all__ = [
    "CurveDataset",
    "ExcludedRun",
    "Metric",
    "Provenance",
    "data_dir",
    "data_file",
    "find_data_dir",
]
