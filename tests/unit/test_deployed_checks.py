"""Start-time checks a deployed job makes: parameters left at local defaults, the server MLflow version."""

from __future__ import annotations

import re
import tomllib

import pytest

from ml_platform.container import check_deployed_parameters
from ml_platform.errors import ConfigError
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit

DEPLOYED = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/e1"
FILLED = {
    "MLP_ENVIRONMENT": "staging",
    "MLP_MODEL": "churn",
    "MLP_MODEL_SPEC_SHA256": "ab" * 32,
    "MLP_DATA_URI": "s3://ml-platform-staging-data-123456789012",
    "MLP_MLFLOW_TRACKING_URI": "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/x",
    "MLP_FEATURE_GROUP_PREFIX": "ml-platform-staging-",
}


def test_a_deployed_execution_with_the_definition_defaults_is_refused_naming_each_parameter():
    env = {"MLP_PIPELINE_EXECUTION_ARN": DEPLOYED, "MLP_ENVIRONMENT": "local"}  # the rest unset: ""
    with pytest.raises(ConfigError) as raised:
        check_deployed_parameters(env)
    message = str(raised.value)
    for name in (
        "Environment='local'",
        "Model=''",
        "ModelSpecSha256=''",
        "DataUri=''",
        "MlflowTrackingUri=''",
    ):
        assert name in message
    assert "generate_params_json.py" in message


@pytest.mark.parametrize("variable", sorted(FILLED))
def test_one_parameter_left_at_its_default_is_named_alone(variable):
    default = "local" if variable == "MLP_ENVIRONMENT" else ""
    env = {"MLP_PIPELINE_EXECUTION_ARN": DEPLOYED, **FILLED, variable: default}
    with pytest.raises(ConfigError, match=r"local defaults for [A-Za-z0-9]+='[a-z]*': start"):
        check_deployed_parameters(env)


@pytest.mark.parametrize(
    "arn", ["", "arn:aws:sagemaker:local:000000000000:pipeline/p/execution/e1"], ids=["cli", "local-runner"]
)
def test_local_runs_keep_their_defaults(arn):
    check_deployed_parameters({"MLP_PIPELINE_EXECUTION_ARN": arn, "MLP_ENVIRONMENT": "local"})


def test_filled_parameters_pass():
    check_deployed_parameters({"MLP_PIPELINE_EXECUTION_ARN": DEPLOYED, **FILLED})


def locked_version(lock: str, package: str) -> str:
    packages = tomllib.loads((REPO_ROOT / lock).read_text())["package"]
    return next(p["version"] for p in packages if p["name"] == package)


def test_the_created_mlflow_server_runs_the_minor_version_of_the_jobs_client():
    """The tracking server's version is pinned (never AWS's changing default), and both images lock
    the client AWS pairs with it: server 3.0.x with mlflow (or mlflow-skinny) 3.0.x
    (https://docs.aws.amazon.com/sagemaker/latest/dg/mlflow-track-experiments.html)."""
    text = (REPO_ROOT / "terraform" / "staging" / "variables.tf").read_text()
    block = re.search(r'variable "mlflow_server_version" \{.*?default\s*=\s*"([0-9.]+)"', text, re.S)
    assert block, "mlflow_server_version has no pinned default"
    server = block.group(1)
    main = (REPO_ROOT / "terraform" / "staging" / "main.tf").read_text()
    assert "mlflow_version       = var.mlflow_server_version" in main
    for lock, package in (
        ("src/training/uv.lock", "mlflow"),
        ("src/inference/uv.lock", "mlflow-skinny"),  # the client only: no server, UI or scikit-learn
        ("uv.lock", "mlflow"),
    ):
        client = locked_version(lock, package)
        assert client.split(".")[:2] == server.split("."), f"{lock}: mlflow {client}, server {server}"


def test_the_alarm_fallbacks_of_terraform_are_the_python_defaults():
    """Terraform's alarms use a model's drift limit, the runs' skipped-share limit and the
    metrics namespace; where a spec sets no limit, its fallback must be the jobs' default."""
    import dataclasses

    from ml_inference.settings import InferenceSettings
    from ml_platform.config import CLOUDWATCH_NAMESPACE
    from ml_platform.model_specs import ModelSpec

    main = (REPO_ROOT / "terraform" / "staging" / "main.tf").read_text()
    drift = re.search(r"try\(m\.spec\.monitoring\.drift\.fail_psi, ([0-9.]+)\)", main)
    skipped = re.search(r"max_skipped_share = ([0-9.]+)", main)
    namespace = re.search(r'metrics_namespace = "([^"]+)"', main)
    assert drift and skipped and namespace
    spec_default = {f.name: f.default for f in dataclasses.fields(ModelSpec)}["drift_fail_psi"]
    settings_default = {f.name: f.default for f in dataclasses.fields(InferenceSettings)}["max_skipped_share"]
    assert float(drift.group(1)) == spec_default
    assert float(skipped.group(1)) == settings_default
    assert namespace.group(1) == CLOUDWATCH_NAMESPACE


def test_the_realised_quality_alarm_falls_back_to_the_promotion_defaults(tmp_path):
    """A spec without a promotion section: Terraform's floor and metric fallbacks are Python's."""
    import yaml

    from ml_platform.model_specs import load_model
    from ml_platform.specs import SpecRegistry
    from tests.conftest import MODELS_DIR, SPECS_DIR

    raw = yaml.safe_load((MODELS_DIR / "churn.yaml").read_text())
    del raw["promotion"]
    (tmp_path / "churn.yaml").write_text(yaml.safe_dump(raw))
    spec = load_model(tmp_path, "churn", SpecRegistry.from_directory(SPECS_DIR))
    main = (REPO_ROOT / "terraform" / "staging" / "main.tf").read_text()
    found = re.search(
        r'try\(m\.spec\.promotion\.metric, "([a-z_]+)"\) == "roc_auc" \? try\(m\.spec\.promotion\.floor, ([0-9.]+)\)',
        main,
    )
    assert found, "terraform/staging/main.tf: the roc_auc_floor expression changed"
    assert (found.group(1), float(found.group(2))) == (spec.promotion_metric, spec.promotion_floor)


def test_a_deployed_job_needs_the_archive_and_sends_metrics_a_local_one_defaults_both(tmp_path):
    from ml_platform.config import JobSettings, with_deployment_defaults
    from ml_platform.errors import ConfigError

    env = {"MLP_STATE_DIR": str(tmp_path)}
    local = with_deployment_defaults(JobSettings(environment="local"), env)
    assert (local.predictions_uri, local.cloudwatch_namespace) == (str(tmp_path / "predictions"), "")
    with pytest.raises(
        ConfigError, match="predictions_uri is not set in environment staging: pass --predictions-uri"
    ):
        with_deployment_defaults(JobSettings(environment="staging"), env)
    deployed = with_deployment_defaults(
        JobSettings(environment="prod", predictions_uri="s3://b/predictions"), env
    )
    assert deployed.cloudwatch_namespace == "MLPlatform"
