"""nasx11-env: NAS-Bench-x11 learning-curve surrogates as Gymnasium environments.

Importing the package registers the ``nasx11/...`` Gymnasium ids (no data is read until an
environment is made).
"""

from __future__ import annotations

from nasx11_env.envs.registry import register_envs
from nasx11_env.errors import DataError, InvalidArchitectureError, Nasx11Error
from nasx11_env.spaces import SPACE_NAMES, get_space

__version__ = "0.1.0"

register_envs()

__all__ = [
    "SPACE_NAMES",
    "DataError",
    "InvalidArchitectureError",
    "Nasx11Error",
    "__version__",
    "get_space",
]
