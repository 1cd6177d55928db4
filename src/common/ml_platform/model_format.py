"""How models are stored: a skops file and its ONNX copy inside an MLflow pyfunc model, and the types
ml-platform trusts.

Training saves the fitted scikit-learn pipeline with skops, converts it to ONNX (checked equal on the
holdout, ``ml_training.onnx_export``), and logs the folder holding both as an MLflow ``python_function``
model whose loader is this module (MLflow's "custom loader module" form: ``loader_module`` plus
``data_path``, https://mlflow.org/docs/3.0.1/api_reference/python_api/mlflow.pyfunc.html), so no
pickle is involved. MLflow 3.0, the client that matches the SageMaker tracking server, has no skops
option in its sklearn flavor.

Python readers (the champion re-score in training, ``mlflow.pyfunc.load_model``) load the native
model through :func:`load_model_folder` / :func:`load_skops`, with this module's allow-list, never
with a list stored in the model's own files, which whoever wrote the model controls. The inference
job scores the ONNX file (:func:`onnx_file`) with onnxruntime and never imports scikit-learn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ml_platform.errors import MLPlatformError

SERIALIZATION_FORMAT = "skops"
MODEL_FOLDER = "ml-platform-model"  # the pyfunc model's data: the two files below
MODEL_FILE = "model.skops"
ONNX_FILE = "model.onnx"
# The training run's reference profile of its rows (ml_platform.drift), beside the model.
PROFILE_ARTIFACT = "monitoring/reference_profile.json"
LOADER_MODULE = __name__
# Types inside our own pipelines that skops does not trust by default.
SKOPS_TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.compose._column_transformer._RemainderColsList",
    "numpy.dtype",
    # lightgbm and xgboost estimators (their state is the booster's own model text / bytes)
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
)


def save_skops(model: Any, path: Path) -> Path:
    """Write ``model`` as a skops file (what :func:`load_skops` reads back)."""
    import skops.io

    path.parent.mkdir(parents=True, exist_ok=True)
    skops.io.dump(model, path)
    return path


def load_skops(path: Path, uri: str) -> Any:
    """The model in a skops file, refusing any type outside ml-platform's allow-list."""
    import skops.io

    untrusted = skops.io.get_untrusted_types(file=path)
    unexpected = sorted(set(untrusted) - set(SKOPS_TRUSTED_TYPES))
    if unexpected:
        raise MLPlatformError(
            f"{uri} contains types outside ml-platform's allow-list: {', '.join(unexpected)}; refusing to load it. "
            "If the model is yours, add them to ml_platform.model_format.SKOPS_TRUSTED_TYPES"
        )
    return skops.io.load(path, trusted=untrusted)


def _data_folder(folder: Path, uri: str) -> Path:
    """The data folder of a downloaded MLflow model folder, checked to be one ml-training wrote."""
    try:
        flavor = yaml.safe_load((folder / "MLmodel").read_text())["flavors"]["python_function"]
        loader, data = flavor["loader_module"], flavor["data"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise MLPlatformError(
            f"{uri} is not an ml-platform model ({type(exc).__name__}: {exc}); register models with ml-training"
        ) from None
    if loader != LOADER_MODULE:
        raise MLPlatformError(
            f"{uri} is a {loader} model with data {data!r}; ml-platform loads only {SERIALIZATION_FORMAT!r} "
            f"models written by ml-training (loader {LOADER_MODULE}, no pickle); re-train it with ml-training"
        )
    path = (folder / data).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise MLPlatformError(f"{uri}: the model file {data!r} lies outside the model folder; refusing it")
    return path


def _member(folder: Path, uri: str, name: str) -> Path:
    path = _data_folder(folder, uri) / name
    if not path.is_file():
        raise MLPlatformError(
            f"{uri} has no {name} in its model folder; it was written by another ml-training version, re-train it"
        )
    return path


def model_file(folder: Path, uri: str) -> Path:
    """The skops file of a downloaded MLflow model folder."""
    return _member(folder, uri, MODEL_FILE)


def onnx_file(folder: Path, uri: str) -> Path:
    """The ONNX file of a downloaded MLflow model folder (what the inference job scores with)."""
    return _member(folder, uri, ONNX_FILE)


def load_model_folder(folder: Path, uri: str) -> Any:
    """The fitted pipeline in a downloaded MLflow model folder (see :func:`model_file`)."""
    return load_skops(model_file(folder, uri), uri)


class ProbabilityModel:
    """What ``mlflow.pyfunc.load_model`` returns: ``predict`` gives the positive-class probability."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        from ml_platform.model_input import MISSING_CATEGORY

        frame = model_input.copy()
        for column in frame.select_dtypes(include="object"):  # a null category, as training saw it
            frame[column] = frame[column].fillna(MISSING_CATEGORY)
        return self.model.predict_proba(frame)[:, 1]


def _load_pyfunc(data_path: str) -> ProbabilityModel:
    """MLflow's hook for ``loader_module`` models: ``data_path`` is the logged :data:`MODEL_FOLDER`."""
    return ProbabilityModel(load_skops(Path(data_path) / MODEL_FILE, data_path))
