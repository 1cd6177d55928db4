"""The ONNX copy of each estimator family scores like the native model, and a tampered copy is refused
before anything is registered."""

from __future__ import annotations

import mlflow
import numpy as np
import onnx
import polars as pl
import pytest
from mlflow import MlflowClient

from ml_platform.estimators import ESTIMATORS
from ml_platform.model_format import load_skops, save_skops
from ml_platform.model_input import onnx_feed, to_model_input
from ml_platform.onnx_scoring import OnnxScorer
from ml_platform.specs import FeatureSpec
from ml_training import entrypoint, train
from ml_training.model import build_pipeline
from ml_training.onnx_export import TOLERANCE, OnnxCheckError, check_equal, float32_exact, to_onnx
from ml_training.settings import resolve

pytestmark = pytest.mark.integration

FEATURES = [
    FeatureSpec("amount", "Fractional", ""),
    FeatureSpec("visits", "Integral", ""),
    FeatureSpec("ratio", "Fractional", ""),
    FeatureSpec("plan", "String", ""),
]
FAMILY_FLAGS = {
    "random_forest": {"n_estimators": "60"},
    "hist_gradient_boosting": {"max_iter": "80"},
    "lightgbm": {"n_estimators": "300"},
    "xgboost": {"n_estimators": "200"},
}


def rows(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Continuous values (many fall near a float64 threshold's float32 rounding), nulls in every
    column, and a label that depends on all four features."""
    rng = np.random.default_rng(seed)
    amount = rng.normal(size=n) * 100
    visits = rng.integers(0, 50, n).astype(float)
    ratio = rng.exponential(size=n)
    plan = rng.choice(["basic", "premium", "trial"], n)
    label = (amount > 0) ^ (plan == "trial") ^ (ratio > 1.5) ^ (visits > 40) ^ (rng.random(n) < 0.1)
    frame = pl.DataFrame({"amount": amount, "visits": visits, "ratio": ratio, "plan": plan})
    null = rng.random((n, 4)) < 0.08
    frame = frame.with_columns(
        pl.when(pl.Series(null[:, i])).then(None).otherwise(pl.col(c)).alias(c)
        for i, c in enumerate(frame.columns)
    )
    return frame, label.astype(int)


def settings_for(family: str):
    flags = {"estimator": family, **FAMILY_FLAGS[family]}
    return resolve(flags=flags, env={"MLP_MODEL": "churn", "MLP_LABELS_URI": "/data/labels.parquet"})


@pytest.mark.parametrize("family", sorted(ESTIMATORS))
def test_each_family_converts_and_scores_like_the_native_model_on_every_holdout_row(family, tmp_path):
    frame, label = rows(20_000, seed=1)
    holdout, _ = rows(10_000, seed=2)
    pipeline = build_pipeline(FEATURES, settings_for(family)).fit(to_model_input(frame, FEATURES), label)
    pipeline = float32_exact(pipeline)
    native = pipeline.predict_proba(to_model_input(holdout, FEATURES))[:, 1]
    assert np.mean((native > 0.5) == rows(10_000, seed=2)[1]) > 0.6  # it learned something
    model = to_onnx(pipeline, FEATURES)
    got = OnnxScorer(model, family).positive(onnx_feed(holdout, FEATURES))
    assert np.abs(got - native).max() <= TOLERANCE
    assert check_equal(model, native, holdout, FEATURES) == pytest.approx(np.abs(got - native).max())
    # the native copy goes through skops and ml-platform's allow-list unchanged
    loaded = load_skops(save_skops(pipeline, tmp_path / "model.skops"), family)
    # (a forest's threads add their trees' votes in any order: equal to the last bits)
    assert np.allclose(
        loaded.predict_proba(to_model_input(holdout, FEATURES))[:, 1], native, rtol=0, atol=1e-12
    )


def adjacent_float32_rows(n: int) -> tuple[pl.DataFrame, np.ndarray]:
    """``ratio`` takes 20 float32 values and each one's float32 neighbour above, and the label is
    which of the two it is: LightGBM must split between two adjacent float32 values, at a float64
    threshold that float32 cannot hold (rounded to the nearest float32, about half land on the upper value)."""
    rng = np.random.default_rng(3)
    base = (np.arange(1, 21) * np.float32(0.37)).astype(np.float32)
    upper = np.nextafter(base, np.float32(np.inf))
    pick, above = rng.integers(0, 20, n), rng.random(n) < 0.5
    ratio = np.where(above, upper[pick], base[pick]).astype(np.float64)
    frame, _ = rows(n, seed=4)
    return frame.with_columns(pl.Series("ratio", ratio)), above.astype(int)


@pytest.mark.parametrize("family", ["lightgbm", "hist_gradient_boosting", "random_forest"])
def test_float32_exact_keep_the_decisions_on_float32_inputs(family):
    """Rounding the thresholds down to float32 changes no prediction on float32 values, and makes
    the ONNX copy agree on rows where nearest rounding does not (LightGBM, histogram boosting)."""
    frame, label = adjacent_float32_rows(20_000)
    x = to_model_input(frame, FEATURES)
    pipeline = build_pipeline(FEATURES, settings_for(family)).fit(x, label)
    before = pipeline.predict_proba(x)[:, 1]
    unrounded = OnnxScorer(to_onnx(pipeline, FEATURES), family).positive(onnx_feed(frame, FEATURES))
    if family != "random_forest":  # scikit-learn's trees place such a threshold on the lower value
        assert np.abs(unrounded - before).max() > 0.1  # the problem the rounding solves is real here
    after = float32_exact(pipeline).predict_proba(x)[:, 1]
    assert np.allclose(before, after, rtol=0, atol=1e-12)
    rounded = OnnxScorer(to_onnx(pipeline, FEATURES), family).positive(onnx_feed(frame, FEATURES))
    assert np.abs(rounded - before).max() <= TOLERANCE


def tamper(model: bytes) -> bytes:
    """The ONNX model with the root threshold of its first tree moved above every value."""
    proto = onnx.load_from_string(model)
    [node] = [n for n in proto.graph.node if n.op_type == "TreeEnsembleClassifier"]
    attrs = {a.name: a for a in node.attribute}
    first_branch = list(attrs["nodes_modes"].strings).index(b"BRANCH_LEQ")
    attrs["nodes_values"].floats[first_branch] = 1e30
    return proto.SerializeToString()


def test_a_tampered_threshold_is_refused_naming_the_largest_difference():
    frame, label = rows(5_000, seed=1)
    pipeline = build_pipeline(FEATURES, settings_for("random_forest")).fit(
        to_model_input(frame, FEATURES), label
    )
    native = pipeline.predict_proba(to_model_input(frame, FEATURES))[:, 1]
    with pytest.raises(
        OnnxCheckError, match=r"ONNX equality check failed: on holdout row \d+ of 5000"
    ) as err:
        check_equal(tamper(to_onnx(pipeline, FEATURES)), native, frame, FEATURES)
    assert "the version is not registered" in str(err.value)


def test_a_training_run_whose_onnx_copy_differs_registers_nothing(local_platform, tmp_path, monkeypatch):
    db = tmp_path / "mlflow.db"
    for name, value in local_platform.env(db).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(train, "to_onnx", lambda pipeline, features: tamper(to_onnx(pipeline, features)))
    code = entrypoint.main(["train", "--sagemaker-root", str(tmp_path / "root"), "--n-estimators", "20"])
    assert code != 0
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    client = MlflowClient()
    assert client.search_model_versions("name = 'churn-classifier'") == []
    [run] = client.search_runs([client.get_experiment_by_name("ml-platform-local").experiment_id])
    assert run.info.status == "FAILED"
    assert run.data.tags["mlp.failure_reason"].startswith("ONNX equality check failed: on holdout row")
    failure = (tmp_path / "root" / "output" / "failure").read_text()  # what SageMaker shows
    assert "ONNX equality check failed" in failure and "difference" in failure
