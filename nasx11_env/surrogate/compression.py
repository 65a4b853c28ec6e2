"""Curve compression: a learning curve ``[E]`` <-> a few coefficients ``[k]``.

NAS-Bench-x11 compresses curves with a truncated SVD so that a regressor predicts ``k`` numbers
instead of ``E``; decompression then yields smooth curves. ``SVDCompression(center=True)`` removes
the mean curve first (so the first component is not spent on it); ``center=False`` is the
original's uncentred variant. ``scale=True`` also divides each epoch by its std before the SVD, so
that every epoch's differences between architectures weigh alike (raw curves spread most in early
epochs, which then dominate the components and the regressor's loss; the final epoch is what
ranks architectures). ``final_weight`` makes the final epoch count that many times in the
squared error the components (and a regressor of the coefficients) minimise.
``IdentityCompression`` predicts every epoch (the reference).
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
    """Truncated SVD of the ``[n, E]`` curve matrix, optionally centred on the mean curve and
    scaled to unit std per epoch."""

    kind = "svd"

    def __init__(
        self,
        n_components: int = 8,
        center: bool = True,
        scale: bool = False,
        final_weight: float = 1.0,
    ) -> None:
        self.n_components = n_components
        self.center = center
        self.scale = scale
        self.final_weight = final_weight

    def fit(self, curves: np.ndarray) -> SVDCompression:
        curves = np.asarray(curves, dtype=np.float64)
        if not 1 <= self.n_components <= min(curves.shape):
            raise ValueError(
                f"n_components must be in 1..{min(curves.shape)} for curves of shape "
                f"{curves.shape}, got {self.n_components}"
            )
        self.mean_ = curves.mean(axis=0) if self.center else np.zeros(curves.shape[1])
        if not self.final_weight > 0:
            raise ValueError(f"final_weight must be > 0, got {self.final_weight}")
        std = curves.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0) if self.scale else np.ones(curves.shape[1])
        self.scale_[-1] /= np.sqrt(self.final_weight)
        _, _, vt = np.linalg.svd((curves - self.mean_) / self.scale_, full_matrices=False)
        self.components_ = vt[: self.n_components]
        return self

    def transform(self, curves: np.ndarray) -> np.ndarray:
        scaled = (np.asarray(curves, dtype=np.float64) - self.mean_) / self.scale_
        return scaled @ self.components_.T

    def inverse_transform(self, coefficients: np.ndarray) -> np.ndarray:
        return (np.asarray(coefficients) @ self.components_) * self.scale_ + self.mean_

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "mean": self.mean_,
            "scale": self.scale_,
            "components": self.components_,
            "center": np.array(self.center),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> SVDCompression:
        model = cls(n_components=len(arrays["components"]), center=bool(arrays["center"]))
        model.mean_ = np.asarray(arrays["mean"], dtype=np.float64)
        model.components_ = np.asarray(arrays["components"], dtype=np.float64)
        # files written before per-epoch scaling existed carry no scale: unit scale
        model.scale_ = np.asarray(arrays.get("scale", np.ones_like(model.mean_)), np.float64)
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


def make_compression(
    kind: str, n_components: int, center: bool, scale: bool = False, final_weight: float = 1.0
) -> Compression:
    """``"svd"`` or ``"none"``."""
    if kind == "svd":
        return SVDCompression(n_components, center, scale, final_weight)
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
