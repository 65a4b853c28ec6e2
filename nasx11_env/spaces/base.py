"""The interface every search space implements.

A space owns an immutable, hashable architecture type and knows how to sample, mutate,
enumerate neighbours, validate, serialise and encode it. Everything random takes a
caller-supplied ``numpy.random.Generator`` so results are reproducible.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from typing import Generic, TypeVar

import numpy as np

from nasx11_env.errors import InvalidArchitectureError

Arch = TypeVar("Arch", bound=Hashable)


class SearchSpace(ABC, Generic[Arch]):
    """A NAS search space: architectures plus the operators NAS algorithms need.

    Subclasses set ``name`` (registry key), ``encodings`` (names accepted by ``encode``,
    the first being the default) and implement the abstract methods.
    """

    name: str
    encodings: tuple[str, ...]

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Arch:
        """Draw one valid architecture as the original space's generator does."""

    @abstractmethod
    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """Return a valid child that differs from ``arch``."""

    @abstractmethod
    def neighbours(self, arch: Arch) -> list[Arch]:
        """All valid architectures one edit away from ``arch``, in a deterministic order."""

    @abstractmethod
    def is_valid(self, arch: object) -> bool:
        """Whether ``arch`` is an architecture of this space that obeys all its rules."""

    @abstractmethod
    def to_str(self, arch: Arch) -> str:
        """Canonical string form; ``from_str(to_str(a)) == a``."""

    @abstractmethod
    def from_str(self, text: str) -> Arch:
        """Parse a string form; raises ``InvalidArchitectureError`` on malformed input."""

    @abstractmethod
    def encode(self, arch: Arch, encoding: str | None = None) -> np.ndarray:
        """Fixed-length float vector of ``arch`` in the named encoding (default: first)."""

    @property
    @abstractmethod
    def size(self) -> int | None:
        """Number of distinct architectures, or ``None`` when it is not known exactly."""

    @property
    def size_note(self) -> str:
        """How ``size`` is counted (overridden where it needs explaining)."""
        return "exact count of distinct architectures"

    def encode_batch(self, archs: list[Arch], encoding: str | None = None) -> np.ndarray:
        """Stack ``encode`` over many architectures: ``[len(archs), dim]`` float64."""
        return np.stack([self.encode(a, encoding) for a in archs]).astype(np.float64)

    def check(self, arch: object) -> Arch:
        """Return ``arch`` if valid, else raise ``InvalidArchitectureError`` naming it."""
        if not self.is_valid(arch):
            raise InvalidArchitectureError(f"not a valid {self.name} architecture: {arch!r}")
        return arch  # type: ignore[return-value]

    def _resolve_encoding(self, encoding: str | None) -> str:
        if encoding is None:
            return self.encodings[0]
        if encoding not in self.encodings:
            raise ValueError(
                f"unknown encoding {encoding!r} for space {self.name!r}; "
                f"choose one of {', '.join(self.encodings)}"
            )
        return encoding
