"""The fitted pipeline as ONNX, checked to score like the native model on the whole holdout.

skl2onnx converts the scikit-learn parts (https://onnx.ai/sklearn-onnx/); onnxmltools' converters
for LightGBM and XGBoost are registered with it, as its own tutorial does
(https://onnx.ai/sklearn-onnx/auto_tutorial/plot_gexternal_lightgbm.html). skl2onnx has no
converter for ``MissingIndicator``; ours is two ONNX operators (IsNaN, Cast).

The ONNX tree operators compare float32 values. Inputs are float32 on both sides
(``ml_platform.model_input``); the imputers' fill values are rounded to float32 and the
estimators' float64 thresholds down to float32 (:func:`float32_exact`), which keeps every
``x <= threshold`` decision for float32 ``x``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np
import polars as pl

from ml_platform.errors import MLPlatformError
from ml_platform.model_input import onnx_feed
from ml_platform.onnx_scoring import OnnxScorer
from ml_platform.specs import FeatureSpec

# Largest allowed |ONNX - native| positive-class probability on any holdout row. float32 tree
# arithmetic differs from float64 by ~1e-7 (measured: 4e-7 at most over the four families).
TOLERANCE = 1e-5
ONNX_OPSET = {"": 18, "ai.onnx.ml": 3}


class OnnxCheckError(MLPlatformError):
    """The ONNX model could not be written, or does not score like the native one."""


def _missing_indicator_shape(operator: Any) -> None:
    from skl2onnx.common.data_types import FloatTensorType

    rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = FloatTensorType([rows, operator.raw_operator.n_features_in_])


def _missing_indicator(scope: Any, operator: Any, container: Any) -> None:
    """``MissingIndicator(features="all")``: 1.0 where the input is NaN."""
    from onnx import TensorProto
    from skl2onnx.algebra.onnx_ops import OnnxCast, OnnxIsNaN

    if operator.raw_operator.features != "all":
        raise NotImplementedError("only MissingIndicator(features='all') converts")
    opset = container.target_opset
    nan = OnnxIsNaN(operator.inputs[0], op_version=opset)
    OnnxCast(nan, to=TensorProto.FLOAT, op_version=opset, output_names=operator.outputs[:1]).add_to(
        scope, container
    )


@functools.cache
def _register_converters(estimator: str) -> None:
    """Teach skl2onnx our MissingIndicator converter and, for a LightGBM or XGBoost estimator,
    onnxmltools' converter of it (once per process; the others are not even imported)."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    from sklearn.impute import MissingIndicator

    update_registered_converter(
        MissingIndicator, "MlPlatformMissingIndicator", _missing_indicator_shape, _missing_indicator
    )
    if estimator == "LGBMClassifier":
        from lightgbm import LGBMClassifier as Model
        from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm as convert
    elif estimator == "XGBClassifier":
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost as convert
        from xgboost import XGBClassifier as Model
    else:
        return
    options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    update_registered_converter(
        Model, f"MlPlatform{estimator}", calculate_linear_classifier_output_shapes, convert, options=options
    )


def _floor32(values: np.ndarray) -> np.ndarray:
    """The largest float32 at or below each value, as float64."""
    low = values.astype(np.float32)
    return np.where(low.astype(np.float64) > values, np.nextafter(low, np.float32(-np.inf)), low).astype(
        np.float64
    )


def _lightgbm_floor32(estimator: Any) -> None:
    import lightgbm

    def down(match: re.Match[str]) -> str:
        values = _floor32(np.array(match.group(2).split(), dtype=np.float64))
        return match.group(1) + " ".join(repr(float(v)) for v in values)

    text = re.sub(r"^(threshold=)(.*)$", down, estimator.booster_.model_to_string(), flags=re.M)
    # The header's byte sizes of each tree no longer hold; without them LightGBM parses tree by tree.
    text = re.sub(r"^tree_sizes=.*\n", "", text, flags=re.M)
    # LightGBM's scikit-learn API keeps the fitted booster in ``_Booster`` (``booster_`` reads it).
    estimator._Booster = lightgbm.Booster(model_str=text)


def _imputers(pipeline: Any) -> list[Any]:
    from sklearn.impute import SimpleImputer

    preprocess = pipeline.steps[0][1]
    return [t for _, t, _ in preprocess.transformers_ if isinstance(t, SimpleImputer)]


def float32_exact(pipeline: Any) -> Any:
    """Make the fitted pipeline compute in float32 values, as its ONNX copy does, in place.

    The imputers' fill values (a median can fall between two float32 values) are rounded to
    float32. The estimator's float64 split thresholds are rounded down to float32: for float32
    ``x`` and float64 ``t``, ``x <= t`` exactly when ``x <= floor32(t)``, so the native model's
    decisions on float32 inputs do not change, and the ONNX copy (float32 thresholds) makes the
    same ones; nearest rounding would move a threshold that lies between two adjacent float32
    values onto the upper one. scikit-learn's forests and histogram boosting keep float64
    thresholds in their fitted tree arrays, LightGBM in its model text; XGBoost splits on float32."""
    for imputer in _imputers(pipeline):
        imputer.statistics_ = imputer.statistics_.astype(np.float32).astype(np.float64)
    estimator = pipeline.steps[-1][1]
    kind = type(estimator).__name__
    if kind == "LGBMClassifier":
        _lightgbm_floor32(estimator)
    elif kind == "RandomForestClassifier":
        for tree in estimator.estimators_:
            tree.tree_.threshold[:] = _floor32(tree.tree_.threshold)  # a writable view of the nodes
    elif kind == "HistGradientBoostingClassifier":
        for predictor in (p for per_iteration in estimator._predictors for p in per_iteration):
            predictor.nodes["num_threshold"] = _floor32(predictor.nodes["num_threshold"])
    return pipeline


def to_onnx(pipeline: Any, features: list[FeatureSpec]) -> bytes:
    """The whole fitted pipeline as an ONNX model with one ``[rows, 1]`` input per feature."""
    estimator = pipeline.steps[-1][1]
    _register_converters(type(estimator).__name__)
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    inputs = [
        (f.name, StringTensorType([None, 1]) if f.type == "String" else FloatTensorType([None, 1]))
        for f in features
    ]
    try:
        model = convert_sklearn(
            pipeline,
            initial_types=inputs,
            options={id(estimator): {"zipmap": False}},
            target_opset=ONNX_OPSET,
        )
    except Exception as exc:  # skl2onnx raises RuntimeError/NotImplementedError/... per converter
        raise OnnxCheckError(
            f"ONNX conversion of the {type(estimator).__name__} pipeline failed: {type(exc).__name__}: {exc}"
        ) from None
    return model.SerializeToString()


def check_equal(
    onnx_model: bytes, native_proba: np.ndarray, holdout: pl.DataFrame, features: list[FeatureSpec]
) -> float:
    """The largest |ONNX - native| probability over the holdout; raises when it exceeds TOLERANCE."""
    got = OnnxScorer(onnx_model, "the converted model").positive(onnx_feed(holdout, features))
    diff = np.abs(got - np.asarray(native_proba, dtype=np.float64))
    worst = int(np.argmax(diff)) if len(diff) else 0
    largest = float(diff[worst]) if len(diff) else 0.0
    if not np.isfinite(diff).all() or largest > TOLERANCE:
        raise OnnxCheckError(
            f"ONNX equality check failed: on holdout row {worst} of {len(diff)} the ONNX model gives "
            f"{got[worst]:.6f} and the native model {native_proba[worst]:.6f} (difference {largest:.3g}, "
            f"tolerance {TOLERANCE:g}); the version is not registered"
        )
    return largest
