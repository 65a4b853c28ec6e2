"""YAHPO Gym's NB301 surrogate (``model_v2.onnx``) as a teacher: smooth curves for any DARTS cell.

The ONNX network (YAHPO Gym, fitted on the NAS-Bench-301 learning curves) maps 34 categorical
codes (``x_cat`` int32, :data:`~nasx11_env.spaces.darts.CONFIGSPACE_COLUMNS`, i.e. the space's
``"configspace"`` encoding) and the epoch (``x_cont`` float32, 1..98) to four outputs:
val_accuracy (fraction), val_cross_entropy, runtime (cumulative seconds) and model_parameters.

Scaling lives inside the graph (read from its nodes): the epoch is mapped to
``2 * (0.01 + 0.98 * (epoch - 1) / 97) - 1``; each output is ``sigmoid``, un-min-maxed from
``[0.01, 0.99]``, un-standardised, then val_accuracy is clipped to ``[0, 1]``,
val_cross_entropy floored at 0, and runtime and model_parameters are ``exp`` of the result
(fitted on a log scale). So raw codes and raw epochs go in and natural units come out; nothing
is rescaled here except val_accuracy -> % (returned as ``val_acc``; cross-entropy as ``val_loss``).

The teacher is deterministic (no noise input; one thread). It is not raw data: it is what
the real curves look like after a neural network smoothed them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nasx11_env.data.dataset import CurveDataset, Metric, Provenance
from nasx11_env.data.paths import data_file
from nasx11_env.errors import DataError
from nasx11_env.spaces.darts import CONFIGSPACE_COLUMNS, DartsArch, DartsSpace

MODEL_RELATIVE = "yahpo-nb301/model_v2.onnx"
MODEL_FILE = "model_v2.onnx"
N_EPOCHS = 98
OUTPUTS = ("val_acc", "val_loss", "runtime", "model_parameters")
# Rows (architecture x epoch) per onnxruntime call: small batches stay in cache; measured
# ~2.5x faster than 65536 rows, and results do not depend on the batch size.
ROWS_PER_RUN = 1024
N_BLOCKS = 5  # residual blocks of the network
BN_EPS = 1e-5  # its batch norms' epsilon

PROVENANCE_SOURCE = (
    "YAHPO Gym NB301 surrogate model_v2.onnx (slds-lmu/yahpo_data @ 0e28806), a neural network "
    "fitted on the NAS-Bench-301 learning curves (nasbench301_full_data, figshare 13286105)"
)
ATTRIBUTION = (
    "YAHPO Gym: Pfisterer, Schneider, Moosbauer, Binder, Bischl (2022), Copyright 2022 Florian "
    "Pfisterer, Lennart Schneider, Apache-2.0; NAS-Bench-301: Siems, Zimmer, Zela, Lukasik, "
    "Keuper, Hutter (2020); data: Zimmer (2020) nasbench301_full_data, Apache-2.0"
)

METRICS = {
    "val_acc": Metric("val_acc", "%", higher_is_better=True),
    "val_loss": Metric("val_loss", "nats", higher_is_better=False),
}


def _onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as error:
        raise ImportError(
            "the YAHPO NB301 teacher needs onnxruntime: pip install nasx11-env[build]"
        ) from error
    return onnxruntime


def _scaled_epoch(epoch: int) -> float:
    """The graph's own epoch scaling (see the module docstring)."""
    return 2.0 * (0.01 + 0.98 * (epoch - 1) / (N_EPOCHS - 1)) - 1.0


def _model_path(path: str | os.PathLike[str] | None) -> Path:
    if path is None:
        return data_file(MODEL_RELATIVE)
    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file():
        raise DataError(path, "YAHPO NB301 model file not found")
    return path


class YahpoNB301Teacher:
    """Deterministic NB301 curves from YAHPO Gym's ONNX surrogate.

    Args:
        path: ``model_v2.onnx`` or the folder holding it; default ``<data>/yahpo-nb301/``.
    """

    n_epochs = N_EPOCHS

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = _model_path(path)
        ort = _onnxruntime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own exception types
            raise DataError(self.path, f"onnxruntime cannot load the model: {error}") from None
        self._check_signature()
        self.space = DartsSpace()

    def _check_signature(self) -> None:
        inputs = {node.name: node for node in self._session.get_inputs()}
        outputs = self._session.get_outputs()
        ok = (
            set(inputs) == {"x_cat", "x_cont"}
            and inputs["x_cat"].shape[1:] == [len(CONFIGSPACE_COLUMNS)]
            and inputs["x_cat"].type == "tensor(int32)"
            and inputs["x_cont"].shape[1:] == [1]
            and len(outputs) == 1
            and outputs[0].shape[1:] == [len(OUTPUTS)]
        )
        if not ok:
            raise DataError(
                self.path,
                "not the YAHPO NB301 model: expected inputs x_cat [n, 34] int32 and "
                "x_cont [n, 1], output [n, 4]",
            )
        self._output = outputs[0].name

    def predict(self, codes: np.ndarray, epochs: np.ndarray) -> np.ndarray:
        """Raw model outputs ``[n, len(epochs), 4]`` for ``codes`` ``[n, 34]`` (YAHPO codes)."""
        codes = np.asarray(codes, dtype=np.int32)
        epochs = np.asarray(epochs, dtype=np.float32)
        n, n_epochs = len(codes), len(epochs)
        x_cat = np.repeat(codes, n_epochs, axis=0)
        x_cont = np.tile(epochs, n)[:, None]
        out = np.empty((n * n_epochs, len(OUTPUTS)), dtype=np.float32)
        for start in range(0, n * n_epochs, ROWS_PER_RUN):
            stop = start + ROWS_PER_RUN
            feed = {"x_cat": x_cat[start:stop], "x_cont": x_cont[start:stop]}
            out[start:stop] = self._session.run([self._output], feed)[0]
        return out.reshape(n, n_epochs, len(OUTPUTS)).astype(np.float64)

    def curves(
        self, archs: list[DartsArch], epochs: np.ndarray | list[int] | None = None
    ) -> dict[str, np.ndarray]:
        """Curves ``[n, E]`` at ``epochs`` (default 1..98).

        Keys: ``val_acc`` (%), ``val_loss``, ``runtime`` (cumulative seconds up to
        the end of each epoch), ``runtime_per_epoch`` (its increase over the previous epoch,
        epoch 0 counting as 0 s; clipped at 0 because the surrogate's cumulative runtime is not
        forced to be monotone) and ``model_parameters`` (as predicted at each epoch; it drifts
        ~5 % over epochs and its unit is YAHPO's, about 35..89 for random cells, not a raw count).
        """
        wanted = self._epochs(epochs)
        needed = np.union1d(wanted, wanted[wanted > 1] - 1)
        codes = self.space.encode_batch(archs, "configspace")
        raw = self.predict(codes, needed)
        cumulative = raw[:, :, 2]
        column = {int(e): i for i, e in enumerate(needed)}
        at = [column[int(e)] for e in wanted]
        previous = np.stack(
            [cumulative[:, column[int(e) - 1]] if e > 1 else np.zeros(len(archs)) for e in wanted],
            axis=1,
        )
        return {
            "val_acc": 100.0 * raw[:, at, 0],
            "val_loss": raw[:, at, 1],
            "runtime": cumulative[:, at],
            "runtime_per_epoch": np.clip(cumulative[:, at] - previous, 0.0, None),
            "model_parameters": raw[:, at, 3],
        }

    @staticmethod
    def _epochs(epochs: np.ndarray | list[int] | None) -> np.ndarray:
        if epochs is None:
            return np.arange(1, N_EPOCHS + 1)
        wanted = np.asarray(epochs)
        if wanted.ndim != 1 or len(wanted) == 0 or not np.issubdtype(wanted.dtype, np.integer):
            raise ValueError("epochs must be a non-empty 1-D array of integers")
        if wanted.min() < 1 or wanted.max() > N_EPOCHS:
            span = f"{wanted.min()}..{wanted.max()}"
            raise ValueError(f"epochs must lie in 1..{N_EPOCHS}, got {span}")
        return wanted.astype(np.int64)

    def student_init(self, epoch: int = N_EPOCHS) -> dict[str, np.ndarray]:
        """The network's weights in :mod:`nasx11_env.surrogate.resnet`'s layout: the start of a
        student with the teacher's shape. The epoch input is removed by folding its value at
        ``epoch`` into the first bias; batch norms become affines. The head is the teacher's:
        four logits, each an increasing function of one output (a student refits it to its own
        targets). Needs the ``onnx`` package.
        """
        self._epochs([epoch])
        try:
            import onnx
            from onnx import numpy_helper
        except ImportError as error:
            raise ImportError(
                "reading the teacher's weights needs onnx: pip install nasx11-env[build]"
            ) from error
        stored = {
            tensor.name: numpy_helper.to_array(tensor).astype(np.float64)
            for tensor in onnx.load(str(self.path)).graph.initializer
        }
        weights = {
            f"emb{j}": stored[f"embds_fct.{j}.weight"] for j in range(len(CONFIGSPACE_COLUMNS))
        }
        first = stored["first_layer.weight"]  # [width, embeddings + 1]; the epoch is last
        weights["w_in"] = first[:, :-1].T
        weights["b_in"] = stored["first_layer.bias"] + first[:, -1] * _scaled_epoch(epoch)
        norms = [f"layers.{i}.norm" for i in range(N_BLOCKS)] + ["last_normalization"]
        for i, norm in enumerate(norms):
            scale = stored[f"{norm}.weight"] / np.sqrt(stored[f"{norm}.running_var"] + BN_EPS)
            shift = stored[f"{norm}.bias"] - stored[f"{norm}.running_mean"] * scale
            suffix = str(i) if i < N_BLOCKS else "_out"
            weights[f"scale{suffix}"], weights[f"shift{suffix}"] = scale, shift
        for i in range(N_BLOCKS):
            weights[f"wa{i}"] = stored[f"layers.{i}.linear0.weight"].T
            weights[f"ba{i}"] = stored[f"layers.{i}.linear0.bias"]
            weights[f"wb{i}"] = stored[f"layers.{i}.linear1.weight"].T
            weights[f"bb{i}"] = stored[f"layers.{i}.linear1.bias"]
        weights["w_head"], weights["b_head"] = stored["head.weight"].T, stored["head.bias"]
        return weights

    def dataset(self, archs: list[DartsArch]) -> CurveDataset:
        """A :class:`CurveDataset` of teacher curves for ``archs`` over epochs 1..98.

        Curves: val_acc (%) and val_loss (cross-entropy); runtime = ``runtime_per_epoch``;
        extras: ``runtime_total`` (cumulative seconds at epoch 98) and ``model_parameters``
        (predicted at epoch 98).
        """
        curves = self.curves(archs)
        return CurveDataset(
            space=self.space,
            archs=list(archs),
            epochs=np.arange(1, N_EPOCHS + 1),
            curves={name: curves[name] for name in METRICS},
            metrics=dict(METRICS),
            provenance=Provenance(
                source=PROVENANCE_SOURCE,
                licence="Apache-2.0",
                attribution=ATTRIBUTION,
                path=str(self.path),
            ),
            runtime=curves["runtime_per_epoch"],
            extras={
                "runtime_total": curves["runtime"][:, -1],
                "model_parameters": curves["model_parameters"][:, -1],
            },
        )
