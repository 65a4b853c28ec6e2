"""Shipped surrogates: size on disk, load time and batch prediction speed, in one run.

Targets (issue 3): all artifacts together <= 20 MB, loading one <= 1 s, batch prediction >= 10,000
full curves per second for all metrics on one core (every metric's mean curve plus runtime per
epoch, from encoded architectures; encoding is the search space's cost and is shown apart).
The reference is the original x11 usage: one architecture per predict call (its NAS loops query
architectures one at a time).

    OMP_NUM_THREADS=1 python benchmarks/surrogate_speed.py [--n 10000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nasx11_env.surrogate.catalog import ARTIFACT_VERSIONS, ArtifactNotFoundError, find_artifact
from nasx11_env.surrogate.serialization import load_surrogate


def predict_all(model, features: np.ndarray) -> None:
    """Every metric's mean curve and runtime per epoch (the full curves of a batch)."""
    model.predict_mean(features)
    if model.runtime_ is not None:
        model.predict_runtime(features)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="architectures per batch")
    parser.add_argument("--n-loop", type=int, default=200, help="architectures, one at a time")
    args = parser.parse_args()
    total_bytes = 0
    print(
        f"{'artifact':<10} {'MB':>6} {'load s':>7} {'encode archs/s':>15} {'batch curves/s':>15} "
        f"{'one-by-one curves/s':>20} {'ratio':>7}"
    )
    for benchmark in ARTIFACT_VERSIONS:
        try:
            folder = find_artifact(benchmark)
        except ArtifactNotFoundError:
            print(f"{benchmark:<10} (no artifact)")
            continue
        size = sum(f.stat().st_size for f in folder.iterdir())
        total_bytes += size
        start = time.perf_counter()
        model = load_surrogate(folder)
        load_s = time.perf_counter() - start
        rng = np.random.default_rng(0)
        archs = [model.space_.sample(rng) for _ in range(args.n)]
        start = time.perf_counter()
        features = model.features(archs)
        encode_rate = args.n / (time.perf_counter() - start)
        start = time.perf_counter()
        predict_all(model, features)
        batch_rate = args.n / (time.perf_counter() - start)
        start = time.perf_counter()
        for row in features[: args.n_loop]:
            predict_all(model, row[None, :])
        loop_rate = args.n_loop / (time.perf_counter() - start)
        print(
            f"{benchmark:<10} {size / 1e6:>6.2f} {load_s:>7.3f} {encode_rate:>15,.0f} "
            f"{batch_rate:>15,.0f} "
            f"{loop_rate:>20,.0f} {batch_rate / loop_rate:>7.1f}"
        )
    print(f"all artifacts: {total_bytes / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
