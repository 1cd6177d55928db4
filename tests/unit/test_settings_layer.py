"""The one settings layer: the feature store and MLflow settings resolve like the jobs' own."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_platform.config import FeatureStoreSettings
from ml_platform.errors import ConfigError
from ml_platform.tracking import connect_timeout_s

pytestmark = pytest.mark.unit


def test_feature_store_settings_come_from_the_environment_and_flags_win(tmp_path):
    env = {
        "MLP_FEATURE_STORE_BACKEND": "sagemaker",
        "MLP_FEATURE_STORE_MAX_WORKERS": "3",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    settings = FeatureStoreSettings.from_env(env)
    assert (settings.backend, settings.max_workers, settings.max_attempts, settings.region) == (
        "sagemaker",
        3,
        6,
        "eu-west-1",
    )
    flagged = FeatureStoreSettings.from_env(env, backend="local", local_root=tmp_path / "fs")
    assert flagged.backend == "local" and flagged.local_root == tmp_path / "fs"
    assert (
        FeatureStoreSettings.from_env({"MLP_STATE_DIR": str(tmp_path)}).local_root
        == tmp_path.resolve() / "feature-store"
    )
    assert (
        FeatureStoreSettings.from_env({"MLP_FEATURE_SPECS_DIR": "specs"}).specs_dir == Path("specs").resolve()
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"MLP_FEATURE_STORE_BACKEND": "redis"},
            "MLP_FEATURE_STORE_BACKEND='redis' is not a feature store backend; use one of local, sagemaker",
        ),
        (
            {"MLP_FEATURE_STORE_MAX_WORKERS": "0"},
            "environment MLP_FEATURE_STORE_MAX_WORKERS: feature_store_max_workers='0' must be >= 1",
        ),
        (
            {"MLP_FEATURE_STORE_MAX_ATTEMPTS": "x"},
            "environment MLP_FEATURE_STORE_MAX_ATTEMPTS: feature_store_max_attempts='x' is not an integer",
        ),
    ],
)
def test_a_bad_feature_store_setting_names_the_variable(env, message):
    with pytest.raises(ConfigError) as err:
        FeatureStoreSettings.from_env(env)
    assert str(err.value) == message


def test_the_mlflow_connect_timeout_keeps_its_message():
    assert connect_timeout_s({}) == 20.0 and connect_timeout_s({"MLP_MLFLOW_CONNECT_TIMEOUT_S": "2.5"}) == 2.5
    for bad in ("soon", "-1"):
        with pytest.raises(
            ConfigError, match=rf"^MLP_MLFLOW_CONNECT_TIMEOUT_S='{bad}' is not a positive number of seconds"
        ):
            connect_timeout_s({"MLP_MLFLOW_CONNECT_TIMEOUT_S": bad})
