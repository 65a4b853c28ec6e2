"""Embedding residual network: categorical codes -> curve coefficients (NB311's regressor).

The network has the shape of YAHPO Gym's surrogates (the NB311 teacher): one embedding table per
categorical column, a linear layer, ``n_blocks`` residual ReGLU blocks
(``h + W_b (a * relu(g))`` with ``[a, g] = W_a (s * h + t)``), a last affine + ReLU and a linear
head. Because the student has the teacher's shape it can start from the teacher's weights
(``fit(..., init=...)``), which is why it can learn the teacher's curves far more closely than a
generic MLP on one-hot features.

Training uses torch (the ``build`` extra); prediction is a few float32 matrix products in numpy,
so loading and querying a shipped model needs neither torch nor onnxruntime. All random draws
(initial weights, batch order) come from a ``numpy.random.Generator`` seeded by ``seed``.

Weights live in a flat ``dict[str, np.ndarray]`` (what ``to_arrays`` saves):
``emb{j}`` ``[cardinality_j, dim_j]``; ``w_in`` ``[sum dim_j, width]``, ``b_in``; per block ``i``
``scale{i}``, ``shift{i}`` (an affine: batch norm folded), ``wa{i}`` ``[width, 2 * hidden]``,
``ba{i}``, ``wb{i}`` ``[hidden, width]``, ``bb{i}``; ``scale_out``, ``shift_out``; ``w_head``
``[width, n_outputs]``, ``b_head``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

RESNET_PARAMS: dict[str, Any] = {
    "n_blocks": 5,
    "width": 128,
    "hidden": 342,
    "embedding_dim": 5,
    "epochs": 8,
    "batch_size": 256,
    "learning_rate": 1e-3,
    "trunk_lr_scale": 0.1,
}
Weights = dict[str, np.ndarray]
FEW_ROWS = 16
HEAD_FIT_ROWS = 65536


def _codes(features: np.ndarray) -> np.ndarray:
    values = np.asarray(features)
    if values.ndim != 2:
        raise ValueError(f"features must be a 2-D matrix of category codes, got {values.shape}")
    codes = values.astype(np.int64)
    if np.any(codes != values) or np.any(codes < 0):
        raise ValueError("features must be non-negative integer category codes")
    return codes


def n_blocks_of(weights: Weights) -> int:
    return sum(1 for key in weights if key.startswith("wa"))


def n_columns_of(weights: Weights) -> int:
    return sum(1 for key in weights if key.startswith("emb"))


def cardinalities_of(weights: Weights) -> np.ndarray:
    return np.array([len(weights[f"emb{j}"]) for j in range(n_columns_of(weights))])


def random_weights(
    cardinalities: list[int], n_outputs: int, settings: dict[str, Any], rng: np.random.Generator
) -> Weights:
    """Fresh weights: N(0, 1) embeddings, N(0, 1/fan_in) linear layers, identity affines."""
    width, hidden, dim = settings["width"], settings["hidden"], settings["embedding_dim"]

    def linear(fan_in: int, fan_out: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.normal(0.0, fan_in**-0.5, (fan_in, fan_out)), np.zeros(fan_out)

    weights: Weights = {f"emb{j}": rng.normal(size=(n, dim)) for j, n in enumerate(cardinalities)}
    weights["w_in"], weights["b_in"] = linear(dim * len(cardinalities), width)
    for i in range(settings["n_blocks"]):
        weights[f"scale{i}"], weights[f"shift{i}"] = np.ones(width), np.zeros(width)
        weights[f"wa{i}"], weights[f"ba{i}"] = linear(width, 2 * hidden)
        weights[f"wb{i}"], weights[f"bb{i}"] = linear(hidden, width)
    weights["scale_out"], weights["shift_out"] = np.ones(width), np.zeros(width)
    weights["w_head"], weights["b_head"] = np.zeros((width, n_outputs)), np.zeros(n_outputs)
    return weights


@dataclass(frozen=True)
class Compiled:
    """The same network folded for fast prediction: each column's embedding times its slice of
    ``w_in`` becomes one lookup table (one gather and a sum instead of 34 gathers and a product),
    and each block's affine is folded into its first linear layer."""

    table: np.ndarray  # [sum of cardinalities, width]
    offsets: np.ndarray  # first row of each column in ``table``
    sizes: np.ndarray  # cardinality of each column
    bias: np.ndarray
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    scale_out: np.ndarray
    shift_out: np.ndarray


def compile_weights(weights: Weights) -> Compiled:
    tables, start = [], 0
    for j in range(n_columns_of(weights)):
        embedding = weights[f"emb{j}"]
        dim = embedding.shape[1]
        tables.append(embedding @ weights["w_in"][start : start + dim])
        start += dim
    sizes = cardinalities_of(weights)
    blocks = []
    for i in range(n_blocks_of(weights)):
        scale, shift, wa = weights[f"scale{i}"], weights[f"shift{i}"], weights[f"wa{i}"]
        folded = (scale[:, None] * wa, shift @ wa + weights[f"ba{i}"])
        blocks.append((*folded, weights[f"wb{i}"], weights[f"bb{i}"]))
    return Compiled(
        table=np.concatenate(tables),
        offsets=np.concatenate([[0], np.cumsum(sizes)[:-1]]),
        sizes=sizes,
        bias=weights["b_in"],
        blocks=blocks,
        scale_out=weights["scale_out"],
        shift_out=weights["shift_out"],
    )


def forward(net: Compiled, codes: np.ndarray) -> np.ndarray:
    """Last hidden layer ``[n, width]`` of a compiled network."""
    rows = codes + net.offsets
    if len(rows) <= FEW_ROWS:  # one gather of [n, columns, width] is cheapest for a few rows
        h = net.table[rows].sum(axis=1)
    else:  # column by column keeps the running [n, width] sum in cache (3x faster at 10k rows)
        h = net.table[rows[:, 0]].copy()
        for column in range(1, rows.shape[1]):
            h += net.table[rows[:, column]]
    h += net.bias
    for wa, ba, wb, bb in net.blocks:
        z = h @ wa + ba
        half = z.shape[1] // 2
        h = h + (z[:, :half] * np.maximum(z[:, half:], 0.0)) @ wb + bb
    return np.maximum(h * net.scale_out + net.shift_out, 0.0)


def trunk(weights: Weights, codes: np.ndarray) -> np.ndarray:
    """Last hidden layer ``[n, width]`` (numpy, dtype of the weights)."""
    return forward(compile_weights(weights), codes)


def fit_head(weights: Weights, codes: np.ndarray, targets: np.ndarray) -> None:
    """Least-squares head on the trunk's features (exact optimum of the last layer), summed
    over row chunks so that a million rows need no [rows, 2 * hidden] float64 matrix."""
    net = compile_weights({k: np.asarray(v, np.float64) for k, v in weights.items()})
    width = len(net.bias) + 1
    gram, cross = 1e-6 * np.eye(width), np.zeros((width, targets.shape[1]))
    for start in range(0, len(codes), HEAD_FIT_ROWS):
        rows = slice(start, start + HEAD_FIT_ROWS)
        features = forward(net, codes[rows])
        design = np.hstack([features, np.ones((len(features), 1))])
        gram += design.T @ design
        cross += design.T @ targets[rows]
    solution = np.linalg.solve(gram, cross)
    weights["w_head"], weights["b_head"] = solution[:-1], solution[-1]


class ResNetRegressor:
    """Embedding ResNet on category codes, trained with torch, predicting in numpy.

    ``params`` override :data:`RESNET_PARAMS`: the shape (``n_blocks``, ``width``, ``hidden``,
    ``embedding_dim``; ignored when ``fit`` gets ``init``) and the training (``epochs``,
    ``batch_size``, ``learning_rate`` of the head, ``trunk_lr_scale`` times it for the rest; one
    cycle: warm-up then cosine decay). The head starts and ends as the least-squares fit on the
    trunk's features, so training only has to improve the features.
    """

    kind = "resnet"

    def __init__(self, params: dict[str, Any] | None = None, seed: int = 0) -> None:
        self.params = params
        self.seed = seed

    def _settings(self) -> dict[str, Any]:
        unknown = sorted(set(self.params or {}) - set(RESNET_PARAMS))
        if unknown:
            raise ValueError(
                f"params: unknown ResNet parameters {unknown}; known {sorted(RESNET_PARAMS)}"
            )
        return {**RESNET_PARAMS, **(self.params or {})}

    def fit(
        self, features: np.ndarray, targets: np.ndarray, init: Weights | None = None
    ) -> ResNetRegressor:
        """Train on codes ``[n, columns]`` -> ``targets`` ``[n, k]``; ``init`` (weights with
        any head) is the starting point, e.g. the teacher's trunk."""
        settings = self._settings()
        codes = _codes(features)
        targets = np.asarray(targets, dtype=np.float64).reshape(len(codes), -1)
        rng = np.random.default_rng(self.seed)
        if init is None:
            cardinalities = [int(c) + 1 for c in codes.max(axis=0)]
            weights = random_weights(cardinalities, targets.shape[1], settings, rng)
        else:
            weights = {k: np.asarray(v, np.float64) for k, v in init.items()}
            _check_against(codes, cardinalities_of(weights))
        fit_head(weights, codes, targets)
        if settings["epochs"] > 0:
            weights = _train(weights, codes, targets, settings, rng)
            fit_head(weights, codes, targets)
        self._set_weights(weights)
        return self

    def _set_weights(self, weights: Weights) -> None:
        self.weights_ = {key: np.asarray(value, np.float32) for key, value in weights.items()}
        self._compiled = compile_weights(self.weights_)

    def predict(self, features: np.ndarray) -> np.ndarray:
        codes = _codes(features)
        _check_against(codes, self._compiled.sizes)
        out = forward(self._compiled, codes) @ self.weights_["w_head"] + self.weights_["b_head"]
        return out.astype(np.float64)

    def to_arrays(self) -> Weights:
        return dict(self.weights_)

    @classmethod
    def from_arrays(cls, arrays: Weights) -> ResNetRegressor:
        model = cls()
        model._set_weights(arrays)
        return model


def _check_against(codes: np.ndarray, sizes: np.ndarray) -> None:
    if codes.shape[1] != len(sizes):
        raise ValueError(f"expected {len(sizes)} category columns, got {codes.shape[1]}")
    too_big = np.flatnonzero((codes >= sizes).any(axis=0))
    if len(too_big):
        j = int(too_big[0])
        raise ValueError(f"column {j}: category code >= its {sizes[j]} categories")


def _train(
    weights: Weights,
    codes: np.ndarray,
    targets: np.ndarray,
    settings: dict[str, Any],
    rng: np.random.Generator,
) -> Weights:
    """Mini-batch AdamW on the squared error; returns the trained weights (float64)."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            "training the ResNet regressor needs torch: pip install nasx11-env[build]"
        ) from error
    parameters = {
        key: torch.nn.Parameter(torch.tensor(value, dtype=torch.float32))
        for key, value in weights.items()
    }
    head = [parameters["w_head"], parameters["b_head"]]
    body = [p for key, p in parameters.items() if key not in ("w_head", "b_head")]
    rate = settings["learning_rate"]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": rate * settings["trunk_lr_scale"]}, {"params": head, "lr": rate}],
        weight_decay=0.0,
    )
    batch = settings["batch_size"]
    steps_per_epoch = max(1, len(codes) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=[rate * settings["trunk_lr_scale"], rate],
        total_steps=settings["epochs"] * steps_per_epoch,
        pct_start=0.1,
    )
    inputs = torch.from_numpy(codes)
    outputs = torch.tensor(targets, dtype=torch.float32)
    blocks, columns = n_blocks_of(weights), n_columns_of(weights)

    def forward(x: torch.Tensor) -> torch.Tensor:
        p = parameters
        h = torch.cat([p[f"emb{j}"][x[:, j]] for j in range(columns)], dim=1)
        h = h @ p["w_in"] + p["b_in"]
        for i in range(blocks):
            z = (h * p[f"scale{i}"] + p[f"shift{i}"]) @ p[f"wa{i}"] + p[f"ba{i}"]
            half = z.shape[1] // 2
            h = h + (z[:, :half] * torch.relu(z[:, half:])) @ p[f"wb{i}"] + p[f"bb{i}"]
        h = torch.relu(h * p["scale_out"] + p["shift_out"])
        return h @ p["w_head"] + p["b_head"]

    for _ in range(settings["epochs"]):
        order = torch.from_numpy(rng.permutation(len(codes)))
        for step in range(steps_per_epoch):
            rows = order[step * batch : (step + 1) * batch]
            loss = ((forward(inputs[rows]) - outputs[rows]) ** 2).sum(dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    return {key: p.detach().double().numpy() for key, p in parameters.items()}
