"""Search spaces by name: ``get_space("nb101" | "darts" | "nlp" | "nb201")``."""

from __future__ import annotations

from importlib import import_module

from nasx11_env.spaces.base import SearchSpace

_SPACES: dict[str, tuple[str, str]] = {
    "nb101": ("nasx11_env.spaces.nb101", "NB101Space"),
    "darts": ("nasx11_env.spaces.darts", "DartsSpace"),
    "nlp": ("nasx11_env.spaces.nlp", "NLPSpace"),
    "nb201": ("nasx11_env.spaces.nb201", "NB201Space"),
}

SPACE_NAMES: tuple[str, ...] = tuple(_SPACES)


def get_space(name: str) -> SearchSpace:
    """A fresh instance of the named search space; unknown names list the known ones."""
    try:
        module_name, class_name = _SPACES[name]
    except KeyError:
        raise ValueError(
            f"unknown search space {name!r}; choose one of {', '.join(SPACE_NAMES)}"
        ) from None
    return getattr(import_module(module_name), class_name)()


__all__ = ["SPACE_NAMES", "SearchSpace", "get_space"]
