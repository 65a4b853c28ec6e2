"""BANANAS (White et al. 2021): an ensemble of small neural predictors on the path encoding,
independent Thompson sampling over mutations of the best architectures.

The predictors are scikit-learn ``MLPRegressor`` networks (no torch dependency), each with its own
initialisation seed drawn from the episode's generator, so the ensemble has a real spread (the
x11 runs used one network, i.e. no uncertainty). Every ``batch_size`` proposals the ensemble is
refitted on the fully trained architectures and the candidates with the highest
``mean + std * z`` (``z ~ N(0, 1)`` per candidate: ITS) are queued.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Hashable, Sequence

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from nasx11_env.agents.search import Proposal, Search
from nasx11_env.envs.base import check_int
from nasx11_env.spaces.base import SearchSpace

SEED_HIGH = 2**31 - 1


def predictor_encoding(space: SearchSpace, encoding: str | None) -> str:
    """``encoding`` if given (checked), else ``"path"`` where the space has it, else its default."""
    if encoding is None:
        return "path" if "path" in space.encodings else space.encodings[0]
    if encoding not in space.encodings:
        raise ValueError(
            f"encoding must be one of {', '.join(space.encodings)} for space {space.name!r}, "
            f"got {encoding!r}"
        )
    return encoding


class MLPEnsemble:
    """``n_members`` MLP regressors on standardised targets: mean and spread of predictions."""

    def __init__(
        self, n_members: int, hidden_layers: Sequence[int], max_iter: int, rng: np.random.Generator
    ) -> None:
        self.n_members = n_members
        self.hidden_layers = tuple(hidden_layers)
        self.max_iter = max_iter
        self.rng = rng
        self._members: list[MLPRegressor] = []
        self._columns = np.arange(0)
        self._y_mean = 0.0
        self._y_std = 1.0

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        """Fit every member on ``x`` restricted to the columns that vary in it (a path encoding
        is mostly paths no trained architecture has: 11,200 columns on DARTS, ~1,000 used)."""
        varying = np.flatnonzero(np.ptp(x, axis=0) > 0)
        self._columns = varying if len(varying) else np.arange(1)  # no column varies: constant
        x = x[:, self._columns]
        self._y_mean = float(np.mean(y))
        self._y_std = float(np.std(y)) or 1.0
        target = (y - self._y_mean) / self._y_std
        self._members = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for _ in range(self.n_members):
                net = MLPRegressor(
                    hidden_layer_sizes=self.hidden_layers,
                    learning_rate_init=1e-3,
                    batch_size=min(32, len(y)),
                    max_iter=self.max_iter,
                    alpha=1e-3,
                    random_state=int(self.rng.integers(SEED_HIGH)),
                )
                self._members.append(net.fit(x, target))

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation over the members, in the targets' units."""
        x = x[:, self._columns]
        preds = np.stack([m.predict(x) for m in self._members]) * self._y_std + self._y_mean
        return preds.mean(axis=0), preds.std(axis=0)


class Bananas(Search):
    """BANANAS as an ask/tell strategy; ``num_init`` random architectures are fully trained first.

    Candidates: ``num_candidates`` mutations (1 to ``max_edits`` chained edits) of the
    ``num_parents`` best fully trained architectures, never proposed before.
    """

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        num_init: int = 20,
        batch_size: int = 20,
        num_ensemble: int = 5,
        num_candidates: int = 100,
        num_parents: int = 5,
        max_edits: int = 2,
        hidden_layers: Sequence[int] = (20, 20, 20),
        max_iter: int = 200,
        encoding: str | None = None,
    ) -> None:
        super().__init__(space, rng)
        self.num_init = check_int("num_init", num_init, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.num_candidates = check_int("num_candidates", num_candidates, 1)
        self.num_parents = check_int("num_parents", num_parents, 1)
        self.max_edits = check_int("max_edits", max_edits, 1)
        self.encoding = predictor_encoding(space, encoding)
        self.ensemble = MLPEnsemble(
            check_int("num_ensemble", num_ensemble, 1),
            check_hidden_layers(hidden_layers),
            check_int("max_iter", max_iter, 1),
            rng,
        )
        self.data: list[tuple[Hashable, float]] = []  # fully trained: (arch, observed final)
        self._asked = 0
        self._queue: deque[Hashable] = deque()

    def ask(self) -> Proposal:
        self._asked += 1
        if self._asked <= self.num_init or len(self.data) < 2:
            return Proposal(self.sample_new(), full=True)
        while True:
            if not self._queue:
                self._refill()
            if not self._queue:  # every candidate was proposed before
                return Proposal(self.sample_new(), full=False)
            arch = self._queue.popleft()
            if arch not in self.seen:
                return Proposal(self._new(arch), full=False)

    def tell(self, arch: Hashable, score: float, full: bool) -> None:
        if full:
            self.data.append((arch, score))

    def _candidates(self) -> list[Hashable]:
        ranked = sorted(self.data, key=lambda item: -item[1])[: self.num_parents]
        found: dict[Hashable, None] = {}
        for i in range(self.num_candidates):
            child = ranked[i % len(ranked)][0]
            for _ in range(1 + int(self.rng.integers(self.max_edits))):
                child = self.space.mutate(child, self.rng)
            if child not in self.seen:
                found[child] = None
        return list(found)

    def _refill(self) -> None:
        candidates = self._candidates()
        if not candidates:
            return
        archs, scores = zip(*self.data, strict=True)
        self.ensemble.fit(self.space.encode_batch(list(archs), self.encoding), np.array(scores))
        mean, std = self.ensemble.predict(self.space.encode_batch(candidates, self.encoding))
        acquisition = mean + std * self.rng.standard_normal(len(candidates))
        best = np.argsort(-acquisition, kind="stable")[: self.batch_size]
        self._queue.extend(candidates[int(i)] for i in best)


def check_hidden_layers(hidden_layers: object) -> tuple[int, ...]:
    """Layer widths as a non-empty tuple of positive ints, else a ValueError."""
    if isinstance(hidden_layers, (str, bytes)) or not isinstance(hidden_layers, Sequence):
        raise ValueError(f"hidden_layers must be a sequence of widths, got {hidden_layers!r}")
    widths = tuple(check_int("hidden_layers entry", w, 1) for w in hidden_layers)
    if not widths:
        raise ValueError("hidden_layers must hold at least one width")
    return widths
