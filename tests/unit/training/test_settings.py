"""Training settings: SageMaker-style string hyperparameters, env, flags, clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ml_platform.errors import ConfigError, MLPlatformError
from ml_training.settings import read_hyperparameters, resolve

pytestmark = pytest.mark.unit

BASE_ENV = {"MLP_MODEL": "churn", "MLP_LABELS_URI": "/data/labels.parquet"}


def test_defaults_and_string_hyperparameters(tmp_path):
    path = tmp_path / "hyperparameters.json"
    path.write_text(
        json.dumps(
            {
                "n_estimators": "250",
                "max_depth": "none",
                "estimator": '"hist_gradient_boosting"',
                "label_start_date": "2026-01-01",
                "test_size": "0.3",
                "undersample_ratio": "0.5",
                "sagemaker_program": "ignored",
            }
        )
    )
    settings = resolve(hyperparameters=read_hyperparameters(path), env=BASE_ENV)
    assert settings.n_estimators == 250
    assert settings.max_depth is None
    assert settings.estimator == "hist_gradient_boosting"
    assert settings.label_start_date == datetime(2026, 1, 1, tzinfo=UTC)
    assert settings.test_size == 0.3 and settings.undersample_ratio == 0.5
    assert settings.experiment == "ml-platform-local"


def test_precedence_flag_over_hyperparameter_over_env():
    env = {**BASE_ENV, "MLP_N_ESTIMATORS": "10", "MLP_SEED": "3"}
    settings = resolve(
        flags={"n_estimators": "30"}, hyperparameters={"n_estimators": "20", "seed": "4"}, env=env
    )
    assert settings.n_estimators == 30
    assert settings.seed == 4


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("n_estimators", "ten", "n_estimators='ten' is not an integer"),
        ("n_estimators", "0", "n_estimators='0' must be in [1, 10000]"),
        ("num_leaves", "1", "num_leaves='1' must be in [2, 131072]"),
        ("min_child_weight", "-1", "min_child_weight='-1' must be >= 0"),
        ("learning_rate", "0", "learning_rate='0' must be in (0, 1]"),
        ("test_size", "1.5", "must be in (0, 1)"),
        ("estimator", "catboost", "use one of random_forest, hist_gradient_boosting, lightgbm, xgboost"),
        ("label_start_date", "last tuesday", "is not an ISO-8601"),
        ("promotion_metric", "mse", "use one of"),
    ],
)
def test_bad_hyperparameter_is_a_clear_error(key, value, message):
    with pytest.raises(ConfigError) as err:
        resolve(
            hyperparameters={key: value},
            env=BASE_ENV,
            hyperparameters_source="/opt/ml/input/config/hyperparameters.json",
        )
    assert message in str(err.value)
    assert "hyperparameters.json" in str(err.value)


def test_unknown_hyperparameter_lists_the_known_ones(tmp_path):
    path = tmp_path / "hyperparameters.json"
    path.write_text(json.dumps({"n_estimator": "10"}))
    with pytest.raises(ConfigError, match=r"unknown hyperparameter 'n_estimator'; known: .*n_estimators"):
        read_hyperparameters(path)


def test_labels_and_window_are_checked():
    with pytest.raises(ConfigError, match="model is not set: pass --model"):
        resolve(env={})
    with pytest.raises(
        ConfigError,
        match=r"labels of model churn are at '\{data_uri\}/churn/labels.parquet', but data_uri is not set",
    ):
        resolve(env={"MLP_MODEL": "churn"})
    with pytest.raises(ConfigError, match="must be before"):
        resolve(env={**BASE_ENV, "MLP_LABEL_START_DATE": "2026-02-01", "MLP_LABEL_END_DATE": "2026-01-01"})


def test_the_model_spec_is_below_env_hyperparameters_and_flags():
    """models/churn.yaml says random_forest, 100 trees, depth 10, floor 0.6, labels under {data_uri}."""
    spec_only = resolve(env={"MLP_MODEL": "churn", "MLP_DATA_URI": "s3://bucket"})
    assert (spec_only.n_estimators, spec_only.max_depth, spec_only.promotion_floor) == (100, 10, 0.6)
    assert spec_only.labels_uri == "s3://bucket/churn/labels.parquet"
    assert spec_only.model_name == "churn-classifier"
    env = {"MLP_MODEL": "churn", "MLP_DATA_URI": "s3://bucket", "MLP_N_ESTIMATORS": "7", "MLP_MAX_DEPTH": "3"}
    assert resolve(env=env).n_estimators == 7
    overridden = resolve(
        env=env, hyperparameters={"overrides": '{"n_estimators": 9, "promotion_floor": 0.7}'}
    )
    assert (overridden.n_estimators, overridden.max_depth, overridden.promotion_floor) == (9, 3, 0.7)
    explicit = resolve(env=env, hyperparameters={"overrides": '{"n_estimators": 9}', "n_estimators": "11"})
    assert explicit.n_estimators == 11
    assert resolve(env=env, hyperparameters={"n_estimators": ""}).n_estimators == 7  # "" sets nothing


def test_overrides_must_name_known_settings():
    with pytest.raises(ConfigError, match="overrides: unknown setting 'trees'"):
        resolve(env=BASE_ENV, hyperparameters={"overrides": '{"trees": 3}'})
    with pytest.raises(ConfigError, match="is not a JSON object"):
        resolve(env=BASE_ENV, hyperparameters={"overrides": "[1]"})


def test_a_spec_other_than_the_deployed_one_is_refused():
    with pytest.raises(MLPlatformError, match="but the pipeline was deployed with 000000000000"):
        resolve(env={**BASE_ENV, "MLP_MODEL_SPEC_SHA256": "0" * 64})
