"""``LearningCurveSurrogate``: the NAS-Bench-x11 method, one head per metric.

For each metric the curves are (optionally log-) transformed, compressed (SVD, k components),
the coefficients are predicted from the architecture's features by a multi-output regressor, and
decompression gives the mean curve. Noise is fitted on residuals: each training curve minus its
own plain rank-k reconstruction (the high-frequency part a smooth mean cannot express; the
original's choice), so it describes run-to-run wiggle rather than the regressor's error. Runtime
per epoch is a separate head: log of the mean seconds per epoch, constant over epochs (as in the
original).

The estimator follows scikit-learn's conventions: the constructor stores parameters, ``fit`` learns
attributes ending in ``_``. Inputs to ``predict_mean``/``sample`` are architectures (encoded with
the space's encoding) or a ready feature matrix (needed when extra features are used).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nasx11_env.data.dataset import CurveDataset, Metric
from nasx11_env.spaces.base import SearchSpace
from nasx11_env.surrogate.compression import Compression, make_compression
from nasx11_env.surrogate.noise import NoiseModel, make_noise
from nasx11_env.surrogate.regressors import LightGBMRegressor, Regressor, make_regressor

TRANSFORMS = ("identity", "log")
RUNTIME = "runtime"


@dataclass
class MetricHead:
    """Everything fitted for one metric."""

    metric: Metric
    transform: str
    compression: Compression
    regressor: Regressor
    noise: NoiseModel
    lower: float
    upper: float

    def mean(self, features: np.ndarray) -> np.ndarray:
        curves = self.compression.inverse_transform(self.regressor.predict(features))
        return _untransform(curves, self.transform)

    def clip(self, curves: np.ndarray) -> np.ndarray:
        return np.clip(curves, self.lower, self.upper)


class LearningCurveSurrogate:
    """Learning-curve surrogate: SVD compression + regressor + noise model per metric.

    Args:
        metrics: metric names to model (default: every metric of the dataset).
        encoding: the search space's encoding used as features (default: its first).
        extra_features: names of ``dataset.extras`` appended to the features (e.g. NB101
            tabular accuracies); the model then needs feature matrices, not architectures.
        first_epochs: append the first ``n`` epochs of ``first_epochs_metric`` as features
            (NLP11's recipe); 0 disables.
        first_epochs_metric: the metric whose first epochs are used.
        compression: ``"svd"`` or ``"none"``; ``n_components``, ``center``,
            ``scale_epochs`` (unit std per epoch before the SVD) and ``final_epoch_weight``
            (how many times the final epoch counts in the squared error) apply to SVD.
        regressor: ``"lightgbm"``, ``"x11"`` (the original's settings), ``"mlp"`` or
            ``"resnet"`` (embedding ResNet on category codes: ``resnet.ResNetRegressor``).
        regressor_params: parameters replacing ours: LightGBM's (``"lightgbm"``), the MLP's
            (``"mlp"``, see ``regressors.MLP_PARAMS``) or the ResNet's (``"resnet"``, see
            ``resnet.RESNET_PARAMS``); ignored by ``"x11"``.
        noise: ``"kde"``, ``"std"``, ``"window"`` or ``"none"``.
        transforms: metric name -> ``"identity"`` or ``"log"`` (default identity).
        model_runtime: fit the runtime head when the dataset has runtimes.
        seed: seeds the regressors and noise-model subsampling (fitting is deterministic).
    """

    def __init__(
        self,
        metrics: Sequence[str] | None = None,
        encoding: str | None = None,
        extra_features: Sequence[str] = (),
        first_epochs: int = 0,
        first_epochs_metric: str | None = None,
        compression: str = "svd",
        n_components: int = 3,
        center: bool = True,
        scale_epochs: bool = False,
        final_epoch_weight: float = 1.0,
        regressor: str = "lightgbm",
        regressor_params: dict[str, Any] | None = None,
        noise: str = "kde",
        transforms: dict[str, str] | None = None,
        model_runtime: bool = True,
        seed: int = 0,
    ) -> None:
        self.metrics = metrics
        self.encoding = encoding
        self.extra_features = extra_features
        self.first_epochs = first_epochs
        self.first_epochs_metric = first_epochs_metric
        self.compression = compression
        self.n_components = n_components
        self.center = center
        self.scale_epochs = scale_epochs
        self.final_epoch_weight = final_epoch_weight
        self.regressor = regressor
        self.regressor_params = regressor_params
        self.noise = noise
        self.transforms = transforms
        self.model_runtime = model_runtime
        self.seed = seed

    # ------------------------------------------------------------------ fitting
    def fit(
        self, dataset: CurveDataset, regressor_init: dict[str, Any] | None = None
    ) -> LearningCurveSurrogate:
        """Fit every head on ``dataset`` (all its rows). ``regressor_init`` maps a metric to the
        starting weights of its regressor (``"resnet"`` only; e.g. a teacher's network)."""
        names = list(dataset.curves) if self.metrics is None else list(self.metrics)
        unknown = [m for m in names if m not in dataset.curves]
        if unknown or not names:
            raise ValueError(f"metrics {unknown or names} not in dataset {sorted(dataset.curves)}")
        transforms = dict(self.transforms or {})
        bad = {k: v for k, v in transforms.items() if v not in TRANSFORMS}
        if bad:
            raise ValueError(f"transforms must be one of {TRANSFORMS}, got {bad}")
        self.space_: SearchSpace = dataset.space
        self.encoding_ = self.encoding or dataset.space.encodings[0]
        self.epochs_ = dataset.epochs.copy()
        self.first_epochs_metric_ = self.first_epochs_metric or names[0]
        features = self.features(dataset)
        self.n_features_ = features.shape[1]
        inits = dict(regressor_init or {})
        if inits and self.regressor != "resnet":
            raise ValueError("regressor_init needs regressor='resnet'")
        self.heads_: dict[str, MetricHead] = {}
        for offset, name in enumerate(names):
            self.heads_[name] = self._fit_head(
                dataset,
                name,
                transforms.get(name, "identity"),
                features,
                self.seed + offset,
                inits.get(name),
            )
        self.runtime_: LightGBMRegressor | None = None
        if self.model_runtime and dataset.runtime is not None:
            log_seconds = np.log(np.maximum(dataset.runtime.mean(axis=1), 1e-3))
            params = {"n_estimators": 150, "learning_rate": 0.1, "num_leaves": 31}
            self.runtime_ = LightGBMRegressor(params, self.seed).fit(features, log_seconds)
        return self

    def _fit_head(
        self,
        dataset: CurveDataset,
        name: str,
        transform: str,
        features: np.ndarray,
        seed: int,
        init: Any = None,
    ) -> MetricHead:
        raw = dataset.curves[name]
        curves = _transform(raw, transform, name)
        compression = make_compression(
            self.compression,
            self.n_components,
            self.center,
            self.scale_epochs,
            self.final_epoch_weight,
        )
        coefficients = compression.fit(curves).transform(curves)
        params = None if self.regressor == "x11" else self.regressor_params
        regressor = make_regressor(self.regressor, seed, params)
        if init is None:
            regressor.fit(features, coefficients)
        else:
            regressor.fit(features, coefficients, init=init)
        # Noise residuals come from a plain (unscaled, unweighted) SVD fit of the same rank, or
        # rank 8 without compression: a weighted basis reproduces the final epoch almost
        # exactly and would leave it no noise.
        if self.compression == "none":
            reference = make_compression("svd", min(8, min(curves.shape)), True)
        else:
            reference = make_compression("svd", self.n_components, self.center)
        reference.fit(curves)
        smooth = _untransform(reference.inverse_transform(reference.transform(curves)), transform)
        noise = make_noise(self.noise, seed).fit(raw - smooth, features)
        metric = dataset.metrics[name]
        lower = 0.0 if raw.min() >= 0 else -np.inf
        upper = 100.0 if metric.unit == "%" else (1.0 if metric.unit == "fraction" else np.inf)
        return MetricHead(metric, transform, compression, regressor, noise, lower, upper)

    # ------------------------------------------------------------------ features
    def features(self, data: CurveDataset | Sequence[Any]) -> np.ndarray:
        """Feature matrix of a dataset (encoding + extras + first epochs) or of architectures
        (encoding only; fails if the model needs extra features)."""
        space = self.space_ if hasattr(self, "space_") else getattr(data, "space", None)
        encoding = getattr(self, "encoding_", None) or self.encoding
        if isinstance(data, CurveDataset):
            blocks = [data.encode(encoding)]
            for name in self.extra_features:
                if name not in data.extras:
                    raise ValueError(f"extra feature {name!r} not in extras {list(data.extras)}")
                values = np.asarray(data.extras[name], dtype=np.float64)
                blocks.append(values.reshape(len(data), -1))
            if self.first_epochs:
                metric = getattr(self, "first_epochs_metric_", None) or self.first_epochs_metric
                metric = metric or next(iter(data.curves))
                blocks.append(data.curves[metric][:, : self.first_epochs])
            return np.hstack(blocks).astype(np.float64)
        if self.extra_features or self.first_epochs:
            raise ValueError(
                "this surrogate uses extra features (extras or first epochs): pass a feature "
                "matrix built with features(dataset), not architectures"
            )
        if space is None:
            raise ValueError("the surrogate is not fitted")
        return space.encode_batch(list(data), encoding)

    def _inputs(self, X: Any) -> np.ndarray:
        self._check_fitted()
        if isinstance(X, np.ndarray) and X.dtype.kind == "f":
            features = np.atleast_2d(X)
        else:
            features = self.features(list(X))
        if features.shape[1] != self.n_features_:
            raise ValueError(
                f"expected {self.n_features_} features per architecture, got {features.shape[1]}"
            )
        return features

    def _check_fitted(self) -> None:
        if not hasattr(self, "heads_"):
            raise ValueError("this LearningCurveSurrogate is not fitted: call fit() or load()")

    # ------------------------------------------------------------------ prediction
    @property
    def metric_names(self) -> list[str]:
        self._check_fitted()
        return list(self.heads_)

    def predict_mean(self, X: Any) -> dict[str, np.ndarray]:
        """Noiseless curves per metric, ``[n, E]`` (architectures or a feature matrix)."""
        features = self._inputs(X)
        return {name: head.clip(head.mean(features)) for name, head in self.heads_.items()}

    def sample(self, X: Any, rng: np.random.Generator, n_samples: int = 1) -> dict[str, np.ndarray]:
        """Noisy curves per metric, ``[n, n_samples, E]``, every draw from ``rng``."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples}")
        features = self._inputs(X)
        repeated = np.repeat(features, n_samples, axis=0)
        out = {}
        for name, head in self.heads_.items():
            mean = np.repeat(head.mean(features), n_samples, axis=0)
            noisy = head.clip(mean + head.noise.sample(repeated, rng))
            out[name] = noisy.reshape(len(features), n_samples, -1)
        return out

    def predict_with_noise(
        self, X: Any, metric: str, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean and one noisy curve ``[n, E]`` of one metric (what a curve source needs)."""
        features = self._inputs(X)
        if metric not in self.heads_:
            raise ValueError(f"metric {metric!r} is not predicted; choose from {self.metric_names}")
        head = self.heads_[metric]
        mean = head.mean(features)
        return head.clip(mean), head.clip(mean + head.noise.sample(features, rng))

    def predict_runtime(self, X: Any) -> np.ndarray:
        """Seconds per epoch, ``[n, E]`` (constant over epochs)."""
        features = self._inputs(X)
        if self.runtime_ is None:
            raise ValueError("this surrogate has no runtime head (its data had no runtimes)")
        seconds = np.exp(self.runtime_.predict(features)[:, 0])
        return np.repeat(seconds[:, None], len(self.epochs_), axis=1)

    # ------------------------------------------------------------------ persistence
    def save(self, path: Any, card: dict[str, Any] | None = None) -> None:
        """Write the fitted model to the directory ``path`` (see ``serialization``)."""
        from nasx11_env.surrogate.serialization import save_surrogate

        save_surrogate(self, path, card)

    @classmethod
    def load(cls, path: Any) -> LearningCurveSurrogate:
        """Read a model written by ``save``; checks format, version and checksums."""
        from nasx11_env.surrogate.serialization import load_surrogate

        return load_surrogate(path)


def _transform(curves: np.ndarray, transform: str, name: str) -> np.ndarray:
    if transform == "log":
        if np.any(curves <= 0):
            raise ValueError(f"the log transform needs values > 0; metric {name!r} has some <= 0")
        return np.log(curves)
    return curves


def _untransform(curves: np.ndarray, transform: str) -> np.ndarray:
    return np.exp(curves) if transform == "log" else curves
