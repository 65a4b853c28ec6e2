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
        name: benchmark name shown in renders and results.
    """

    def __init__(
        self,
        model: LearningCurveSurrogate,
        metric: str,
        score: ScoreInfo,
        negate_from: float | None = None,
        pool: Sequence[Any] | None = None,
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
        return CurveBatch(self._to_score(observed), self._to_score(mean), runtime)
