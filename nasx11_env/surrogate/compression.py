"""Curve compression: a learning curve ``[E]`` <-> a few coefficients ``[k]``.

NAS-Bench-x11 compresses curves with a truncated SVD so that a regressor predicts ``k`` numbers
instead of ``E``; decompression then yields smooth curves. ``SVDCompression(center=True)`` removes
the mean curve first (so the first component is not spent on it); ``center=False`` is the
original's uncentred variant. ``IdentityCompression`` predicts every epoch (the reference).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Compression(Protocol):
    """Invertible (up to truncation) linear map between curves and coefficients."""

    kind: str

    def fit(self, curves: np.ndarray) -> Compression: ...

    def transform(self, curves: np.ndarray) -> np.ndarray: ...

    def inverse_transform(self, coefficients: np.ndarray) -> np.ndarray: ...

    def to_arrays(self) -> dict[str, np.ndarray]: ...


class SVDCompression:
    """Truncated SVD of the ``[n, E]`` curve matrix, optionally centred on the mean curve."""

    kind = "svd"

    def __init__(self, n_components: int = 8, center: bool = True) -> None:
        self.n_components = n_components
        self.center = center

    def fit(self, curves: np.ndarray) -> SVDCompression:
        curves = np.asarray(curves, dtype=np.float64)
        if not 1 <= self.n_components <= min(curves.shape):
            raise ValueError(
                f"n_components must be in 1..{min(curves.shape)} for curves of shape "
                f"{curves.shape}, got {self.n_components}"
            )
        self.mean_ = curves.mean(axis=0) if self.center else np.zeros(curves.shape[1])
        _, _, vt = np.linalg.svd(curves - self.mean_, full_matrices=False)
        self.components_ = vt[: self.n_components]
        return self

    def transform(self, curves: np.ndarray) -> np.ndarray:
        return (np.asarray(curves, dtype=np.float64) - self.mean_) @ self.components_.T

    def inverse_transform(self, coefficients: np.ndarray) -> np.ndarray:
        return np.asarray(coefficients) @ self.components_ + self.mean_

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean_, "components": self.components_, "center": np.array(self.center)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> SVDCompression:
        model = cls(n_components=len(arrays["components"]), center=bool(arrays["center"]))
        model.mean_ = np.asarray(arrays["mean"], dtype=np.float64)
        model.components_ = np.asarray(arrays["components"], dtype=np.float64)
        return model


class IdentityCompression:
    """No compression: one regression target per epoch."""

    kind = "none"

    def fit(self, curves: np.ndarray) -> IdentityCompression:
        return self

    def transform(self, curves: np.ndarray) -> np.ndarray:
        return np.asarray(curves, dtype=np.float64)

    def inverse_transform(self, coefficients: np.ndarray) -> np.ndarray:
        return np.asarray(coefficients, dtype=np.float64)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> IdentityCompression:
        return cls()


def make_compression(kind: str, n_components: int, center: bool) -> Compression:
    """``"svd"`` or ``"none"``."""
    if kind == "svd":
        return SVDCompression(n_components, center)
    if kind == "none":
        return IdentityCompression()
    raise ValueError(f"compression must be 'svd' or 'none', got {kind!r}")


def compression_from_arrays(kind: str, arrays: dict[str, np.ndarray]) -> Compression:
    """Rebuild a fitted compression saved with ``to_arrays``."""
    if kind == "svd":
        return SVDCompression.from_arrays(arrays)
    if kind == "none":
        return IdentityCompression.from_arrays(arrays)
    raise ValueError(f"unknown compression kind {kind!r} in a saved model")
