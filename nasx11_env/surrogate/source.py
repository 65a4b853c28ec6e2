"""``SurrogateCurveSource``: a fitted surrogate as the ``CurveSource`` environments consume.

It turns a batch of architectures into one noisy score curve each (a sampled training run), its
noiseless mean (what the benchmark credits) and runtime per epoch, in one batched model call. The
score is a metric of the surrogate or, for NLP11, the x11 score ``100 - val_loss``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nasx11_env.curves import CurveBatch, ScoreInfo
from nasx11_env.surrogate.model import LearningCurveSurrogate

MIN_SECONDS = 1e-3  # runtime floor: every epoch costs something


class SurrogateCurveSource:
    """Curves from a ``LearningCurveSurrogate``.

    Args:
        model: a fitted surrogate with a runtime head.
        metric: the metric the score comes from.
        score: name, unit, normalisation range and optimum of the score.
        negate_from: if set, score = ``negate_from - metric`` (x11's ``100 - val_loss``).
        pool: architectures of the real data, for the environments' ``proposer="pool"``.
        pool_means: optional real mean curves of the pool architectures (metric units,
            ``[len(pool), E]``): these architectures get their real curve plus modelled noise
            instead of a predicted one.
        pool_runtime: seconds per epoch of the pool architectures, ``[len(pool)]``.
        name: benchmark name shown in renders and results.
    """

    def __init__(
        self,
        model: LearningCurveSurrogate,
        metric: str,
        score: ScoreInfo,
        negate_from: float | None = None,
        pool: Sequence[Any] | None = None,
        pool_means: np.ndarray | None = None,
        pool_runtime: np.ndarray | None = None,
        name: str = "",
    ) -> None:
        if metric not in model.metric_names:
            raise ValueError(
                f"metric {metric!r} is not predicted; choose from {model.metric_names}"
            )
        self.model = model
        self.metric = metric
        self.score = score
        self.negate_from = negate_from
        self.pool = None if pool is None else list(pool)
        self._real: dict[Any, int] = {}
        if pool_means is not None:
            if self.pool is None or pool_runtime is None:
                raise ValueError("pool_means needs the pool and pool_runtime")
            pool_means = np.asarray(pool_means, dtype=np.float64)
            shape = (len(self.pool), len(model.epochs_))
            if pool_means.shape != shape or np.shape(pool_runtime) != shape[:1]:
                raise ValueError(f"pool_means must be {shape} and pool_runtime ({shape[0]},)")
            self._real = {arch: i for i, arch in enumerate(self.pool)}
        self.pool_means = pool_means
        self.pool_runtime = None if pool_runtime is None else np.asarray(pool_runtime, float)
        self.name = name
        self.space = model.space_
        self.n_epochs = len(model.epochs_)

    def _to_score(self, values: np.ndarray) -> np.ndarray:
        return values if self.negate_from is None else self.negate_from - values

    def curves(self, archs: list[Any], rng: np.random.Generator) -> CurveBatch:
        """One sampled curve, its mean and runtime per epoch for each architecture."""
        features = self.model.features(archs)
        mean, observed = self.model.predict_with_noise(features, self.metric, rng)
        runtime = np.maximum(self.model.predict_runtime(features), MIN_SECONDS)
        if self._real:
            rows = [(i, self._real[a]) for i, a in enumerate(archs) if a in self._real]
            if rows:
                mine, real = (np.array(index) for index in zip(*rows, strict=True))
                noise = observed[mine] - mean[mine]
                clip = self.model.heads_[self.metric].clip
                mean[mine] = self.pool_means[real]
                observed[mine] = clip(mean[mine] + noise)
                runtime[mine] = np.maximum(self.pool_runtime[real], MIN_SECONDS)[:, None]
        return CurveBatch(self._to_score(observed), self._to_score(mean), runtime)
