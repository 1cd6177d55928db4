"""Scoring with a model's ONNX file in onnxruntime: what the inference job runs, and what training
compares with the native model before it registers a version (``ml_training.onnx_export``).

The file is the whole fitted pipeline (imputation, one-hot encoding, estimator) with one input per
feature, fed by :func:`ml_platform.model_input.onnx_feed`; its second output holds the class
probabilities (skl2onnx with ``zipmap=False``:
https://onnx.ai/sklearn-onnx/auto_tutorial/plot_dbegin_options_zipmap.html).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ml_platform.errors import MLPlatformError

# onnxruntime (1.29+) on Linux starts Microsoft's 1DS telemetry when it is imported: it writes a
# session file to $TMPDIR and uploads a process event. A batch job has no business sending either,
# so it is off unless the user sets the variable (https://github.com/microsoft/onnxruntime/pull/29843).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
import onnxruntime as ort

PROBABILITIES = "probabilities"


class OnnxScorer:
    """An onnxruntime session over one model; :meth:`positive` gives the positive-class probability."""

    def __init__(self, model: bytes | Path, uri: str, threads: int = 0) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's default (one per core)
        options.log_severity_level = 3  # errors only; warnings about unused initializers are noise
        content = model.read_bytes() if isinstance(model, Path) else model
        try:
            self.session = ort.InferenceSession(content, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... types
            raise MLPlatformError(f"{uri}: onnxruntime cannot load the ONNX model: {exc}") from None
        self.inputs = tuple(i.name for i in self.session.get_inputs())
        outputs = [o.name for o in self.session.get_outputs()]
        if PROBABILITIES not in outputs:
            raise MLPlatformError(
                f"{uri}: the ONNX model has no {PROBABILITIES!r} output (outputs: {outputs})"
            )
        self.uri = uri

    def positive(self, feed: Mapping[str, np.ndarray]) -> np.ndarray:
        """float64 positive-class probabilities of the rows in ``feed`` (one array per input)."""
        missing = [name for name in self.inputs if name not in feed]
        if missing:
            raise MLPlatformError(f"{self.uri}: the ONNX model's input(s) {', '.join(missing)} are not fed")
        [proba] = self.session.run([PROBABILITIES], {name: feed[name] for name in self.inputs})
        return proba[:, 1].astype(np.float64)
