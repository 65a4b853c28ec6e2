"""The fidelity table (x11's recipe against ours), the validation sweep behind "ours", and the
batch prediction speed of the shipped surrogates, in one run on real data.

    OMP_NUM_THREADS=1 python benchmarks/fidelity.py                 # table + shipped speeds
    OMP_NUM_THREADS=1 python benchmarks/fidelity.py --sweep         # also the NB201 sweep
    OMP_NUM_THREADS=1 python benchmarks/fidelity.py --task nlp11 --json out.json

The sweep fits candidates on the NB201 split's train part and scores them on its *validation*
part only (the test part is for the table). Speeds are mean curves per second of
``predict_mean`` on 10,000 rows, all metrics of the model, one thread.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from nasx11_env.surrogate import fidelity
from nasx11_env.surrogate.evaluation import format_table
from nasx11_env.surrogate.regressors import LIGHTGBM_PARAMS

OLD_PARAMS = {  # the LightGBM defaults before the sweep
    "n_estimators": 400,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 10,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.7,
    "reg_lambda": 1.0,
}
SWEEP: dict[str, dict[str, Any]] = {
    "x11": fidelity.recipe("x11"),
    "old defaults (k 8)": {"n_components": 8, "regressor_params": OLD_PARAMS},
    "old, 2000 trees": {
        "n_components": 8,
        "regressor_params": {**OLD_PARAMS, "n_estimators": 2000},
    },
    "old, all columns": {
        "n_components": 8,
        "regressor_params": {**OLD_PARAMS, "colsample_bytree": 1.0},
    },
    "ours, k 8": {"n_components": 8},
    "ours, k 5": {"n_components": 5},
    "ours (k 3, final epoch 300x)": fidelity.recipe("ours"),
    **{
        f"ours, final epoch {weight:g}x": {**fidelity.recipe("ours"), "final_epoch_weight": weight}
        for weight in (1.0, 30.0, 100.0, 1000.0)
    },
    "ours, epochs scaled": {**fidelity.recipe("ours"), "scale_epochs": True},
    "ours, uncentred": {**fidelity.recipe("ours"), "center": False},
    "ours, categorical": {**fidelity.recipe("ours"), "encoding": "categorical"},
    "ours, 31 leaves": {
        **fidelity.recipe("ours"),
        "regressor_params": {**LIGHTGBM_PARAMS, "num_leaves": 31},
    },
    "ours, std noise": {**fidelity.recipe("ours"), "noise": "std"},
    "ours, window noise": {**fidelity.recipe("ours"), "noise": "window"},
}
SWEEP_COLUMNS = (
    "recipe",
    "kendall_tau_avg",
    "kendall_tau_final",
    "rmse_avg",
    "noise_kl_avg",
    "noise_kl_final",
    "c2st_auc",
    "fit_s",
    "curves_per_s",
)


def sweep(data: str | None, seed: int) -> list[dict[str, Any]]:
    """Every ``SWEEP`` candidate fitted on NB201 train, scored on NB201 validation."""
    from nasx11_env.data.nb201 import SPIKENAS_FILE, load_spikenas_curves
    from nasx11_env.data.paths import data_file
    from nasx11_env.surrogate.evaluation import split_indices

    dataset = load_spikenas_curves(data_file(SPIKENAS_FILE, data))
    train, validation, _ = split_indices(dataset, seed=0)
    rows = []
    for label, params in SWEEP.items():
        row, _ = fidelity.score_surrogate(
            label, params, "nb201", dataset, (train, validation), seed
        )
        rows.append(row)
        print(
            f"  {label}: tau {row['kendall_tau_avg']:.3f}/{row['kendall_tau_final']:.3f}, "
            f"{row['curves_per_s']} curves/s",
            flush=True,
        )
    return rows


def shipped_speeds() -> list[dict[str, Any]]:
    """Curves per second of every installed artifact, all its metrics, on pool or random archs."""
    from nasx11_env.surrogate.catalog import ARTIFACT_VERSIONS, ArtifactNotFoundError, find_artifact
    from nasx11_env.surrogate.model import LearningCurveSurrogate

    rows = []
    rng = np.random.default_rng(0)
    for benchmark in ARTIFACT_VERSIONS:
        try:
            folder = find_artifact(benchmark)
        except ArtifactNotFoundError:
            continue
        model = LearningCurveSurrogate.load(folder)
        archs = [model.space_.sample(rng) for _ in range(200)]
        features = model.features(archs)
        rows.append(
            {
                "artifact": folder.name,
                "metrics": ",".join(model.metric_names),
                "curves_per_s": int(fidelity.prediction_speed(model, features)),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=(*fidelity.TASKS, "all"), default="all")
    parser.add_argument("--data", help="data folder (default $NASX11_DATA or ../shared/data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sweep", action="store_true", help="also run the NB201 validation sweep")
    parser.add_argument("--json", dest="json_out", help="write all results as JSON here")
    args = parser.parse_args()
    started = time.perf_counter()
    out: dict[str, Any] = {}
    if args.sweep:
        print("NB201 validation sweep (fit on train, scored on validation):", flush=True)
        out["sweep"] = sweep(args.data, args.seed)
        print(format_table(out["sweep"], SWEEP_COLUMNS) + "\n")
    tasks = fidelity.TASKS if args.task == "all" else (args.task,)
    out["fidelity"] = fidelity.evaluate_fidelity(tasks, args.data, seed=args.seed)
    print(fidelity.format_fidelity(out["fidelity"]) + "\n")
    out["shipped_speed"] = shipped_speeds()
    if out["shipped_speed"]:
        print("shipped artifacts, predict_mean, all metrics, one thread:")
        print(format_table(out["shipped_speed"]) + "\n")
    seconds = {**out["fidelity"]["seconds"], "total": round(time.perf_counter() - started, 1)}
    print("seconds: " + ", ".join(f"{task} {s}" for task, s in seconds.items()))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2, default=float) + "\n")


if __name__ == "__main__":
    main()
