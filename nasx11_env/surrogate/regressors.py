"""Regressors from architecture features to compressed curve coefficients (multi-output).

``LightGBMRegressor`` fits one booster per output and stores them as LightGBM text models (safe
to load, stable across versions). ``MLPRegressorModel`` wraps scikit-learn's MLP and stores its
weights as arrays; prediction is a few matrix products. ``X11_LIGHTGBM_PARAMS`` are the original
NAS-Bench-x11 ``svd_lgb`` hyperparameters (``../shared/reference/x11-original.md``).
"""

from __future__ import annotations

from typing import Any, Protocol

import lightgbm as lgb
import numpy as np

from nasx11_env.surrogate.resnet import ResNetRegressor

# Ours: tuned on the NB201-space (SpikeNAS) split's validation part (benchmarks/fidelity.py):
# all features per tree (one-hot cells need interactions of all edges), few rows per leaf and a
# high learning rate beat more trees; 400 trees keep batch prediction fast.
LIGHTGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 400,
    "learning_rate": 0.1,
    "num_leaves": 63,
    "min_child_samples": 5,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 1.0,
    "reg_lambda": 1.0,
}

# The original x11 recipe (svd_lgb): configspace defaults with num_rounds=3000; its early stopping
# never ran (no eval set), so all rounds train. Targets standardised, components chained.
X11_LIGHTGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 3000,
    "learning_rate": 0.02182249761978233,
    "num_leaves": 40,
    "max_depth": 18,
    "min_child_weight": 0.582192788716,
    "reg_alpha": 0.011489772418204284,
    "reg_lambda": 134.50743557010372,
}


class Regressor(Protocol):
    kind: str

    def fit(self, features: np.ndarray, targets: np.ndarray) -> Regressor: ...

    def predict(self, features: np.ndarray) -> np.ndarray: ...


class LightGBMRegressor:
    """One LightGBM booster per output column.

    ``chain=True`` feeds outputs ``< j`` to booster ``j`` (true values in training, predictions
    at query time), as the original's ``RegressorChain``; ``standardize`` scales targets first.
    """

    kind = "lightgbm"

    def __init__(
        self,
        params: dict[str, Any] | None = None,
        seed: int = 0,
        chain: bool = False,
        standardize: bool = False,
    ) -> None:
        self.params = params
        self.seed = seed
        self.chain = chain
        self.standardize = standardize

    def fit(self, features: np.ndarray, targets: np.ndarray) -> LightGBMRegressor:
        params = dict(LIGHTGBM_PARAMS if self.params is None else self.params)
        n_rounds = int(params.pop("n_estimators", 100))
        booster_params = {
            "objective": "regression",
            "verbosity": -1,
            "num_threads": 1,
            "deterministic": True,
            "seed": self.seed,
            **_native_names(params),
        }
        targets = np.asarray(targets, dtype=np.float64).reshape(len(features), -1)
        n_outputs = targets.shape[1]
        self.y_mean_ = targets.mean(axis=0) if self.standardize else np.zeros(n_outputs)
        self.y_scale_ = targets.std(axis=0) + 1e-12 if self.standardize else np.ones(n_outputs)
        scaled = (targets - self.y_mean_) / self.y_scale_
        features = np.asarray(features, dtype=np.float64)
        self.boosters_ = []
        for j in range(targets.shape[1]):
            inputs = np.hstack([features, scaled[:, :j]]) if self.chain else features
            data = lgb.Dataset(inputs, label=scaled[:, j], free_raw_data=True)
            self.boosters_.append(lgb.train(booster_params, data, num_boost_round=n_rounds))
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        features = np.asarray(features, dtype=np.float64)
        outputs = np.empty((len(features), len(self.boosters_)))
        for j, booster in enumerate(self.boosters_):
            inputs = np.hstack([features, outputs[:, :j]]) if self.chain else features
            outputs[:, j] = booster.predict(inputs, num_threads=1)
        return outputs * self.y_scale_ + self.y_mean_

    def to_text(self) -> list[str]:
        return [b.model_to_string() for b in self.boosters_]

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"y_mean": self.y_mean_, "y_scale": self.y_scale_, "chain": np.array(self.chain)}

    @classmethod
    def from_saved(cls, models: list[str], arrays: dict[str, np.ndarray]) -> LightGBMRegressor:
        model = cls(chain=bool(arrays["chain"]))
        model.boosters_ = [lgb.Booster(model_str=text) for text in models]
        model.y_mean_, model.y_scale_ = arrays["y_mean"], arrays["y_scale"]
        return model


def _native_names(params: dict[str, Any]) -> dict[str, Any]:
    """scikit-learn-style LightGBM names -> native ``lgb.train`` names."""
    aliases = {
        "subsample": "bagging_fraction",
        "subsample_freq": "bagging_freq",
        "colsample_bytree": "feature_fraction",
        "min_child_samples": "min_data_in_leaf",
        "min_child_weight": "min_sum_hessian_in_leaf",
        "reg_alpha": "lambda_l1",
        "reg_lambda": "lambda_l2",
    }
    return {aliases.get(key, key): value for key, value in params.items()}


MLP_PARAMS: dict[str, Any] = {
    "hidden": (256, 256),
    "alpha": 1e-4,
    "learning_rate_init": 1e-3,
    "batch_size": "auto",
    "max_iter": 300,
    "early_stopping": True,
    "target_scale": "column",
}
TARGET_SCALES = ("column", "global")


class MLPRegressorModel:
    """scikit-learn ``MLPRegressor`` on standardised features and targets.

    ``params`` override :data:`MLP_PARAMS`: ``hidden`` (layer sizes), ``alpha``,
    ``learning_rate_init``, ``batch_size``, ``max_iter``, ``early_stopping`` (scikit-learn's
    meanings) and ``target_scale``: ``"column"`` scales each output to unit variance;
    ``"global"`` divides all outputs by the first one's std, so the squared loss keeps the
    outputs' relative sizes (SVD coefficients: the leading components matter most).
    """

    kind = "mlp"

    def __init__(
        self,
        hidden: tuple[int, ...] | None = None,
        seed: int = 0,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.hidden = hidden
        self.seed = seed
        self.params = params

    def _settings(self) -> dict[str, Any]:
        settings = dict(MLP_PARAMS)
        unknown = sorted(set(self.params or {}) - set(MLP_PARAMS))
        if unknown:
            raise ValueError(
                f"params: unknown MLP parameters {unknown}; known {sorted(MLP_PARAMS)}"
            )
        settings.update(self.params or {})
        if self.hidden is not None:
            settings["hidden"] = self.hidden
        if settings["target_scale"] not in TARGET_SCALES:
            raise ValueError(f"params: target_scale must be one of {TARGET_SCALES}")
        return settings

    def fit(self, features: np.ndarray, targets: np.ndarray) -> MLPRegressorModel:
        from sklearn.neural_network import MLPRegressor

        settings = self._settings()
        features = np.asarray(features, dtype=np.float64)
        targets = np.asarray(targets, dtype=np.float64).reshape(len(features), -1)
        self.x_mean_ = features.mean(axis=0)
        x_std = features.std(axis=0)
        self.x_scale_ = np.where(x_std > 0, x_std, 1.0)  # constant columns stay constant
        self.y_mean_ = targets.mean(axis=0)
        y_std = targets.std(axis=0) + 1e-12
        global_scale = settings["target_scale"] == "global"
        self.y_scale_ = np.full_like(y_std, y_std[0]) if global_scale else y_std
        net = MLPRegressor(
            hidden_layer_sizes=tuple(settings["hidden"]),
            alpha=settings["alpha"],
            learning_rate_init=settings["learning_rate_init"],
            batch_size=settings["batch_size"],
            max_iter=settings["max_iter"],
            early_stopping=settings["early_stopping"],
            random_state=self.seed,
        )
        net.fit((features - self.x_mean_) / self.x_scale_, (targets - self.y_mean_) / self.y_scale_)
        self.weights_ = [np.asarray(w) for w in net.coefs_]
        self.biases_ = [np.asarray(b) for b in net.intercepts_]
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        hidden = (np.asarray(features, dtype=np.float64) - self.x_mean_) / self.x_scale_
        for weight, bias in zip(self.weights_[:-1], self.biases_[:-1], strict=True):
            hidden = np.maximum(hidden @ weight + bias, 0.0)
        out = hidden @ self.weights_[-1] + self.biases_[-1]
        return out * self.y_scale_ + self.y_mean_

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {
            "x_mean": self.x_mean_,
            "x_scale": self.x_scale_,
            "y_mean": self.y_mean_,
            "y_scale": self.y_scale_,
        }
        for i, (w, b) in enumerate(zip(self.weights_, self.biases_, strict=True)):
            arrays[f"w{i}"], arrays[f"b{i}"] = w, b
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> MLPRegressorModel:
        model = cls()
        n_layers = sum(1 for key in arrays if key.startswith("w"))
        model.weights_ = [arrays[f"w{i}"] for i in range(n_layers)]
        model.biases_ = [arrays[f"b{i}"] for i in range(n_layers)]
        model.x_mean_, model.x_scale_ = arrays["x_mean"], arrays["x_scale"]
        model.y_mean_, model.y_scale_ = arrays["y_mean"], arrays["y_scale"]
        return model


def make_regressor(kind: str, seed: int, params: dict[str, Any] | None = None) -> Regressor:
    """``"lightgbm"`` (ours), ``"x11"`` (the original's LightGBM settings), ``"mlp"`` or
    ``"resnet"``; ``params`` go to LightGBM, the MLP or the ResNet (ignored by ``"x11"``)."""
    if kind == "lightgbm":
        return LightGBMRegressor(params, seed)
    if kind == "x11":
        return LightGBMRegressor(X11_LIGHTGBM_PARAMS, seed, chain=True, standardize=True)
    if kind == "mlp":
        return MLPRegressorModel(seed=seed, params=params)
    if kind == "resnet":
        return ResNetRegressor(params, seed)
    raise ValueError(f"regressor must be 'lightgbm', 'x11', 'mlp' or 'resnet', got {kind!r}")
