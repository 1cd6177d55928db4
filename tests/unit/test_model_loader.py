"""Loading a registered model (training's champion re-score, the inference job): ml-platform's own skops
allow-list, no pickle, no mlflow in the job."""

from __future__ import annotations

import operator
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skops.io
import yaml
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ml_platform.errors import MLPlatformError
from ml_platform.model_format import load_model_folder, onnx_file

X = np.random.default_rng(0).normal(size=(60, 3))
Y = (X[:, 0] > 0).astype(int)


def model_folder(folder: Path, model, fmt: str = "skops", loader: str = "ml_platform.model_format") -> Path:
    """An MLflow pyfunc model folder in the layout ml-training logs (MLmodel + the serialized model);
    ``fmt="cloudpickle"`` with ``loader="mlflow.sklearn"`` is what MLflow's own sklearn flavor writes."""
    (folder / "data" / "ml-platform-model").mkdir(parents=True)
    name = "data/ml-platform-model/model.skops" if fmt == "skops" else "model.pkl"
    if fmt == "skops":
        skops.io.dump(model, folder / name)
    else:
        (folder / name).write_bytes(pickle.dumps(model))
    # A model's own files may claim to trust everything it contains; the loader must not believe them.
    trusted = skops.io.get_untrusted_types(file=folder / name) if fmt == "skops" else []
    data = str(Path(name).parent) if fmt == "skops" else name
    flavors = {
        "python_function": {"loader_module": loader, "data": data, "env": {"virtualenv": "python_env.yaml"}},
        "sklearn": {"pickled_model": name, "serialization_format": fmt, "skops_trusted_types": trusted},
    }
    (folder / "MLmodel").write_text(yaml.safe_dump({"flavors": flavors}))
    return folder


class _Marker:
    """Unpickling this writes a file: proof that a pickle was (or was not) executed."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (Path(self.path).write_text, ("executed",))


@pytest.mark.unit
def test_pipeline_with_allowed_types_loads_and_predicts(tmp_path):
    model = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=5, random_state=0)).fit(X, Y)
    loaded = load_model_folder(model_folder(tmp_path / "m", model), "models:/m/1")
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.unit
def test_types_outside_the_allow_list_are_refused_even_if_the_model_trusts_them(tmp_path):
    model = make_pipeline(FunctionTransformer(operator.methodcaller("copy")), StandardScaler()).fit(X, Y)
    with pytest.raises(MLPlatformError) as err:
        load_model_folder(model_folder(tmp_path / "m", model), "models:/m/3")
    assert str(err.value).startswith(
        "models:/m/3 contains types outside ml-platform's allow-list: operator.methodcaller; refusing to load it."
    )


@pytest.mark.unit
def test_pickled_models_are_refused_before_unpickling(tmp_path):
    marker = tmp_path / "executed.txt"
    folder = model_folder(tmp_path / "m", _Marker(str(marker)), fmt="cloudpickle", loader="mlflow.sklearn")
    with pytest.raises(
        MLPlatformError,
        match=r"models:/m/2 is a mlflow.sklearn model with data 'model.pkl'; ml-platform loads only 'skops'",
    ):
        load_model_folder(folder, "models:/m/2")
    assert not marker.exists()


@pytest.mark.unit
def test_a_folder_without_mlmodel_is_named(tmp_path):
    (tmp_path / "m").mkdir()
    with pytest.raises(MLPlatformError, match=r"models:/m/4 is not an ml-platform model \(FileNotFoundError"):
        load_model_folder(tmp_path / "m", "models:/m/4")


@pytest.mark.unit
def test_a_model_file_outside_the_model_folder_is_refused(tmp_path):
    model = make_pipeline(StandardScaler()).fit(X, Y)
    folder = model_folder(tmp_path / "m", model)
    (folder / "data" / "ml-platform-model").rename(tmp_path / "elsewhere")
    meta = yaml.safe_load((folder / "MLmodel").read_text())
    meta["flavors"]["python_function"]["data"] = "../elsewhere"
    (folder / "MLmodel").write_text(yaml.safe_dump(meta))
    with pytest.raises(MLPlatformError, match=r"models:/m/5: the model file '../elsewhere' lies outside"):
        load_model_folder(folder, "models:/m/5")


@pytest.mark.unit
def test_a_model_folder_without_its_onnx_file_is_named(tmp_path):
    folder = model_folder(tmp_path / "m", make_pipeline(StandardScaler()).fit(X, Y))
    with pytest.raises(MLPlatformError, match=r"models:/m/6 has no model.onnx in its model folder"):
        onnx_file(folder, "models:/m/6")


@pytest.mark.integration
def test_the_job_process_never_imports_mlflow():
    """mlflow (~2.5 s to import) runs only in the model_registry child; see model_loader."""
    code = (
        "import sys, ml_inference.entrypoint, ml_inference.job; "
        "print(sorted(m for m in sys.modules if m.startswith('mlflow')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
