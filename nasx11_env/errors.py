"""Exceptions raised by nasx11_env: each names the offending input and the problem."""

from __future__ import annotations


class Nasx11Error(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidArchitectureError(Nasx11Error, ValueError):
    """An architecture (or its string form) breaks the rules of its search space."""


class DataError(Nasx11Error, ValueError):
    """A data file or folder is missing, truncated, malformed or holds bad values.

    The message always starts with the path concerned, so a user knows which file to fix.
    """

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
