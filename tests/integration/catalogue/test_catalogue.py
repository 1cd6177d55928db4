"""The bad-input catalogue, one test per row: the real command, the exact message, the exit
code, and proof that nothing was half-written. The table in docs/bad-input.md is rendered
from these cases and checked here."""

from __future__ import annotations

import functools
import json
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import mlflow
import polars as pl
import pytest
import yaml
from confluent_kafka.admin import AdminClient
from mlflow import MlflowClient

from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform.specs import SpecRegistry
from tests.conftest import MODELS_DIR, REPO_ROOT, SPECS_DIR, tree_digest
from tests.integration.catalogue.cases import CASES, DOC, case, render
from tests.integration.catalogue.conftest import Ctx
from tests.integration.images.test_build_push_ecr import make_sandbox
from tests.integration.inference.test_inference_job import consume_all, inference_command, publish_args

pytestmark = pytest.mark.integration


# -- ingest ------------------------------------------------------------------------------------
def _profile(ctx: Ctx, rows: int = 20) -> pl.DataFrame:
    return pl.read_parquet(ctx.platform.state / "demo" / "customer_profile.parquet").head(rows)


def _ingest(ctx: Ctx, data: pl.DataFrame | Path, group: str = "customer_profile", suffix: str = ".csv"):
    """Ingest through the CLI into a store that already holds rows; the store must be unchanged."""
    root = ctx.tmp / "store"
    LocalFeatureStore(SpecRegistry.from_directory(SPECS_DIR), root).ingest(
        "customer_profile", _profile(ctx, 5)
    )
    before = tree_digest(root)
    if isinstance(data, pl.DataFrame):
        path = ctx.tmp / f"input{suffix}"
        data.write_csv(path) if suffix == ".csv" else data.write_parquet(path)
    else:
        path = data
    result = ctx.run(
        sys.executable,
        "-m",
        "ml_platform",
        "ingest",
        "-g",
        group,
        "-f",
        path,
        "--root",
        root,
        "--specs-dir",
        SPECS_DIR,
    )
    assert tree_digest(root) == before
    return result


@case(
    "ingest",
    "a required column is missing (`region`)",
    "error: <tmp>/input.csv: 1 problem(s) against feature group 'customer_profile' (spec <repo>/feature_groups/customer_profile.yaml); nothing was written:\n  - missing columns: region (expected: customer_id, event_time, age, region, plan, contract_type, signup_channel)",
    unchanged="feature store files",
)
def ingest_missing_column(ctx):
    return _ingest(ctx, _profile(ctx).drop("region"))


@case(
    "ingest",
    "a value of the wrong type (`age` = `old` in row 3)",
    "error: <tmp>/input.csv: 1 problem(s) against feature group 'customer_profile' (spec <repo>/feature_groups/customer_profile.yaml); nothing was written:\n  - row 3, column 'age': 'old' is not a whole number (Integral)",
    unchanged="feature store files",
)
def ingest_wrong_type(ctx):
    frame = _profile(ctx).with_columns(pl.col("age").cast(pl.Utf8))
    return _ingest(
        ctx,
        frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("old")).otherwise(pl.col("age")).alias("age")
        ),
    )


@case(
    "ingest",
    "an empty record identifier (row 2)",
    "error: <tmp>/input.csv: 1 problem(s) against feature group 'customer_profile' (spec <repo>/feature_groups/customer_profile.yaml); nothing was written:\n  - row 2, column 'customer_id': record identifier is empty; every record needs one",
    unchanged="feature store files",
)
def ingest_null_id(ctx):
    frame = _profile(ctx)
    return _ingest(
        ctx,
        frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 1)
            .then(None)
            .otherwise(pl.col("customer_id"))
            .alias("customer_id")
        ),
    )


@case(
    "ingest",
    "an event time in the future",
    "error: <tmp>/input.csv: 1 problem(s) against feature group 'customer_profile' (spec <repo>/feature_groups/customer_profile.yaml); nothing was written:\n  - row 5, column 'event_time': '2099-01-01T00:00:00Z' is in the future (now is <now>); fix the data or the clock",
    unchanged="feature store files",
)
def ingest_future_event_time(ctx):
    frame = _profile(ctx)
    return _ingest(
        ctx,
        frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 4)
            .then(pl.lit("2099-01-01T00:00:00Z"))
            .otherwise(pl.col("event_time"))
            .alias("event_time")
        ),
    )


@case(
    "ingest",
    "an empty file",
    "error: <tmp>/empty.csv: the file is empty; it needs a header row and at least one record",
    unchanged="feature store files",
)
def ingest_empty_file(ctx):
    path = ctx.tmp / "empty.csv"
    path.write_text("")
    return _ingest(ctx, path)


@case(
    "ingest",
    "an unknown feature group (`customer_profil`)",
    "error: unknown feature group 'customer_profil'; groups defined in <repo>/feature_groups: customer_activity, customer_billing, customer_profile",
    unchanged="feature store files",
)
def ingest_unknown_group(ctx):
    return _ingest(ctx, _profile(ctx), group="customer_profil")


@case(
    "ingest",
    "a file type that is not CSV or Parquet (`.json`)",
    "error: <tmp>/rows.json: unsupported file type '.json'; use .csv or .parquet",
    unchanged="feature store files",
)
def ingest_unsupported_file(ctx):
    path = ctx.tmp / "rows.json"
    path.write_text("[]")
    return _ingest(ctx, path)


@case(
    "ingest",
    "a Parquet file that is not Parquet (truncated)",
    "error: <tmp>/rows.parquet: cannot read the file: parquet: File out of specification: The file must end with PAR1 or PARE",
    unchanged="feature store files",
)
def ingest_corrupt_parquet(ctx):
    path = ctx.tmp / "rows.parquet"
    _profile(ctx).write_parquet(path)
    path.write_bytes(path.read_bytes()[:100])
    return _ingest(ctx, path)


# -- training ----------------------------------------------------------------------------------
def _train(ctx: Ctx, *args: str, hyperparameters: dict | None = None, env: dict | None = None):
    """Train into a fresh MLflow store; nothing may be registered."""
    root, db = ctx.tmp / "root", ctx.tmp / "mlflow.db"
    if hyperparameters is not None:
        (root / "input" / "config").mkdir(parents=True)
        (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    result = ctx.run(
        sys.executable,
        "-m",
        "ml_training",
        "train",
        "--sagemaker-root",
        root,
        *args,
        env=ctx.platform.env(db) | (env or {}),
    )
    if db.exists():
        mlflow.set_tracking_uri(f"sqlite:///{db}")
        assert MlflowClient().search_registered_models() == []
    return result


@case(
    "training",
    "`ml-training promote` for a version that is not registered (`--model-version 7`)",
    "error: model 'churn-classifier' has no version '7'; see the MLflow model registry",
    unchanged="MLflow registry",
)
def training_promote_unknown_version(ctx):
    root, db = ctx.tmp / "root", ctx.tmp / "mlflow.db"
    result = ctx.run(
        sys.executable,
        "-m",
        "ml_training",
        "promote",
        "--sagemaker-root",
        root,
        "--model-version",
        "7",
        env=ctx.platform.env(db),
    )
    assert "has no version '7'" in (root / "output" / "message").read_text()  # the processing ExitMessage
    if db.exists():
        mlflow.set_tracking_uri(f"sqlite:///{db}")
        assert MlflowClient().search_registered_models() == []
    return result


@case(
    "training",
    "labels with a single class (all `churned` = 0)",
    "error: label 'churned' has no rows of class 1 in the window; both classes are needed",
    unchanged="MLflow registry",
)
def training_single_class_labels(ctx):
    labels = ctx.tmp / "labels.parquet"
    pl.read_parquet(ctx.platform.labels).with_columns(churned=pl.lit(0)).write_parquet(labels)
    return _train(ctx, env={"MLP_LABELS_URI": str(labels)})


@case(
    "training",
    "a hyperparameter that is not a number (`n_estimators` = `many`)",
    "error: hyperparameter in <tmp>/root/input/config/hyperparameters.json: n_estimators='many' is not an integer",
    unchanged="MLflow registry",
)
def training_bad_hyperparameter(ctx):
    return _train(ctx, hyperparameters={"n_estimators": "many"})


@case(
    "training",
    "an unknown hyperparameter (`n_estimator`)",
    "error: <tmp>/root/input/config/hyperparameters.json: unknown hyperparameter 'n_estimator'; known: cloudwatch_namespace, data_uri, environment, estimator, experiment_name, git_sha, image_uri, label_end_date, label_start_date, labels_uri, learning_rate, max_depth, max_iter, max_null_ratio, min_child_weight, min_class_share, min_rows, min_samples_leaf, mlflow_tracking_uri, model, model_name, model_spec_sha256, model_version, n_estimators, num_leaves, overrides, pipeline_execution_arn, predictions_uri, promote, promotion_floor, promotion_margin, promotion_metric, seed, split, test_size, undersample_ratio",
    unchanged="MLflow registry",
)
def training_unknown_hyperparameter(ctx):
    return _train(ctx, hyperparameters={"n_estimator": "10"})


@case(
    "training",
    "a model spec that is not the one the pipeline was deployed with (`ModelSpecSha256`)",
    "error: <repo>/models/churn.yaml has sha256 <hex>... but the pipeline was deployed with 000000000000...; the image and the deployed pipeline come from different commits: push the image of the deployed commit (build_push_ecr.sh) or re-apply Terraform",
    unchanged="MLflow registry",
)
def training_spec_of_another_commit(ctx):
    return _train(ctx, env={"MLP_MODEL_SPEC_SHA256": "0" * 64})


@case(
    "training",
    "labels without the label column",
    "error: labels file <tmp>/labels.parquet: missing column(s) churned (has: customer_id, label_time); set entity_keys, labels.time_column and labels.label_column in <repo>/models/churn.yaml to match",
    unchanged="MLflow registry",
)
def training_labels_without_label_column(ctx):
    labels = ctx.tmp / "labels.parquet"
    pl.read_parquet(ctx.platform.labels).drop("churned").write_parquet(labels)
    return _train(ctx, env={"MLP_LABELS_URI": str(labels)})


@case(
    "training",
    "an unknown estimator (`catboost`)",
    "error: hyperparameter in <tmp>/root/input/config/hyperparameters.json: estimator='catboost' is not allowed; use one of random_forest, hist_gradient_boosting, lightgbm, xgboost",
    unchanged="MLflow registry",
)
def training_unknown_estimator(ctx):
    return _train(ctx, hyperparameters={"estimator": "catboost"})


@case(
    "training",
    "a LightGBM hyperparameter out of range (`num_leaves` = 1)",
    "error: hyperparameter in <tmp>/root/input/config/hyperparameters.json: num_leaves='1' must be in [2, 131072]",
    unchanged="MLflow registry",
)
def training_lightgbm_out_of_range(ctx):
    return _train(ctx, hyperparameters={"estimator": "lightgbm", "num_leaves": "1"})


@case(
    "training",
    "a connect timeout that is not a number (`MLP_MLFLOW_CONNECT_TIMEOUT_S=soon`)",
    "error: MLP_MLFLOW_CONNECT_TIMEOUT_S='soon' is not a positive number of seconds; set e.g. 20 (the default) or unset it",
    unchanged="MLflow registry",
)
def training_bad_mlflow_connect_timeout(ctx):
    return _train(ctx, env={"MLP_MLFLOW_CONNECT_TIMEOUT_S": "soon"})


# -- model specs -------------------------------------------------------------------------------
def _models(ctx: Ctx, change, name: str = "churn"):
    """validate-specs over a copy of models/ with one spec changed; the repository's are untouched."""
    folder = ctx.tmp / "models"
    shutil.copytree(MODELS_DIR, folder)
    doc = yaml.safe_load((MODELS_DIR / "churn.yaml").read_text())
    change(doc)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    before = tree_digest(MODELS_DIR)
    result = ctx.run(sys.executable, "-m", "ml_platform", "validate-specs", "--models-dir", folder)
    assert tree_digest(MODELS_DIR) == before
    return result


@case(
    "model spec",
    "an unknown feature group",
    "error: <tmp>/models/churn.yaml: field 'feature_groups[3].group': unknown feature group 'customer_churn'; groups defined: customer_activity, customer_billing, customer_profile, machine_telemetry, site_conditions",
    unchanged="nothing runs",
)
def model_unknown_group(ctx):
    return _models(ctx, lambda d: d["feature_groups"].append({"group": "customer_churn"}))


@case(
    "model spec",
    "a join key that is not a key of the labels (`entity_keys`)",
    "error: <tmp>/models/churn.yaml: field 'feature_groups[0].join_key': 'account_id' is not one of the entity_keys (customer_id); add it to entity_keys or name an existing key",
    unchanged="nothing runs",
)
def model_join_key_not_in_labels(ctx):
    return _models(ctx, lambda d: d["feature_groups"][0].update(join_key="account_id"))


@case(
    "model spec",
    "a join key whose type differs from the group's identifier",
    "error: <tmp>/models/churn.yaml: field 'feature_groups[0].join_key': entity key 'customer_id' is Integral but customer_profile's record identifier 'customer_id' is String; use a key of the same type",
    unchanged="nothing runs",
)
def model_join_key_type(ctx):
    return _models(ctx, lambda d: d["entity_keys"].update(customer_id="Integral"))


@case(
    "model spec",
    "a drift limit below the warning limit (`monitoring.drift.fail_psi` < `warn_psi`)",
    "error: <tmp>/models/churn.yaml: field 'monitoring.drift.fail_psi': must be at least warn_psi (0.1), got 0.05",
    unchanged="nothing runs",
)
def model_drift_limits(ctx):
    return _models(ctx, lambda d: d["monitoring"]["drift"].update(fail_psi=0.05))


@case(
    "model spec",
    "two models with the same name (`Churn.yaml` beside `churn.yaml`)",
    "error: <tmp>/models/churn.yaml: field 'name': two models named 'churn' (Churn.yaml); rename one",
    unchanged="nothing runs",
)
def model_same_name(ctx):
    return _models(ctx, lambda d: d.update(name="Churn"), name="Churn")


@case(
    "model spec",
    "a model with no features",
    "error: <tmp>/models/churn.yaml: field 'feature_groups': must be a non-empty list of {group, join_key, features}; a model needs features",
    unchanged="nothing runs",
)
def model_without_features(ctx):
    return _models(ctx, lambda d: d.update(feature_groups=[]))


# -- inference ---------------------------------------------------------------------------------
def _infer(ctx: Ctx, *args: str):
    """Run the job against the shared broker on a fresh topic; the topic must stay empty."""
    topic = f"catalogue-{uuid.uuid4().hex[:8]}"
    result = ctx.run(
        *inference_command(ctx.tmp / "root", *publish_args(ctx.broker.bootstrap_servers, topic, *args)),
        env=ctx.platform.env(ctx.champion),
    )
    admin = AdminClient({"bootstrap.servers": ctx.broker.bootstrap_servers})
    if topic in admin.list_topics(timeout=10).topics:  # created before the failure: must be empty
        assert consume_all(ctx.broker.bootstrap_servers, topic, idle_seconds=1) == []
    return result


@case(
    "inference",
    "an unknown model alias (`gold`)",
    "error: model 'churn-classifier' has no alias 'gold'; aliases: challenger, champion (a model becomes 'champion' when it passes the training promotion gate)",
    unchanged="Kafka topic",
)
def inference_unknown_alias(ctx):
    return _infer(ctx, "--model-alias", "gold")


@case(
    "inference",
    "an unknown model version (`99`)",
    "error: model 'churn-classifier' has no version 99; versions: 1",
    unchanged="Kafka topic",
)
def inference_unknown_version(ctx):
    return _infer(ctx, "--model-version", "99")


@case(
    "inference",
    "an entity list without a key column the model joins on",
    "error: entity list <tmp>/entities.csv has no column(s) customer_id (columns: id); it needs every key the model joins on: customer_id",
    unchanged="Kafka topic",
)
def inference_entity_list_without_id_column(ctx):
    path = ctx.tmp / "entities.csv"
    path.write_text("id\nC000001\n")
    return _infer(ctx, "--entity-list-uri", str(path))


@case(
    "inference",
    "an unknown Kafka compression (`brotli`)",
    "error: flag --kafka-compression: kafka_compression='brotli' is not allowed; use one of none, gzip, snappy, lz4, zstd",
    unchanged="Kafka topic",
)
def inference_bad_compression(ctx):
    return _infer(ctx, "--kafka-compression", "brotli")


@case(
    "inference",
    "SASL without a password or secret",
    "error: kafka_security_protocol=SASL_SSL with PLAIN needs kafka_sasl_username and a password (kafka_sasl_password or kafka_sasl_secret_id)",
    unchanged="Kafka topic",
)
def inference_sasl_without_password(ctx):
    return _infer(
        ctx,
        "--kafka-security-protocol",
        "SASL_SSL",
        "--kafka-sasl-mechanism",
        "PLAIN",
        "--kafka-sasl-username",
        "svc",
    )


@case(
    "inference",
    "a deployed pipeline started without the environment's parameters",
    "error: pipeline execution arn:aws:sagemaker:us-east-1:123456789012:pipeline/ml-platform-staging-churn-inference/execution/x1 runs with the definition's local defaults for Environment='local', MlflowTrackingUri='': start it with the environment's parameters (its schedule, or the file scripts/generate_params_json.py --environment <env> --model <model> writes)",
    unchanged="Kafka topic",
)
def inference_deployed_with_local_defaults(ctx):
    env = {
        **ctx.platform.env(ctx.champion),
        "MLP_PIPELINE_EXECUTION_ARN": "arn:aws:sagemaker:us-east-1:123456789012:pipeline/ml-platform-staging-churn-inference/execution/x1",
        "MLP_ENVIRONMENT": "local",
        "MLP_MLFLOW_TRACKING_URI": "",
        "MLP_MODEL": "churn",
        "MLP_MODEL_SPEC_SHA256": "0" * 64,
        "MLP_DATA_URI": "s3://ml-platform-staging-data-123456789012",
        "MLP_FEATURE_GROUP_PREFIX": "ml-platform-staging-",
    }
    topic = f"catalogue-{uuid.uuid4().hex[:8]}"
    return ctx.run(
        *inference_command(ctx.tmp / "root", *publish_args(ctx.broker.bootstrap_servers, topic)), env=env
    )


# -- generate_params_json.py -------------------------------------------------------------------
def _params(ctx: Ctx, *args: str):
    out = ctx.tmp / "parameters"
    result = ctx.run(
        sys.executable, REPO_ROOT / "scripts" / "generate_params_json.py", *args, "--output-dir", out
    )
    assert not out.exists() or list(out.iterdir()) == []
    return result


@case(
    "generate_params_json.py",
    "an unknown pipeline parameter (`--set NEstimators=1`)",
    "error: --set NEstimators=1: unknown training pipeline parameter 'NEstimators'; parameters: DataUri, Environment, ExperimentName, FeatureGroupPrefix, FeatureStoreBackend, KmsKeyId, LabelEndDate, LabelStartDate, LabelsUri, MlflowTrackingUri, Model, ModelOutputS3Uri, ModelSpecSha256, PredictionsS3Uri, PromoteModelVersion, SageMakerRoleArn, TrainingImageUri, TrainingInstanceType, TrainingOverrides",
    unchanged="parameters file",
)
def params_unknown_parameter(ctx):
    return _params(
        ctx,
        "--pipeline-type",
        "training",
        "--model",
        "churn",
        "--environment",
        "prod",
        "--set",
        "NEstimators=1",
    )


@case(
    "generate_params_json.py",
    "a step the pipeline does not have (`--step Promote`)",
    "error: --step 'Promote': the training pipeline has the steps TrainModel, PromoteModel, MonitorModel",
    unchanged="parameters file",
)
def params_unknown_step(ctx):
    return _params(
        ctx, "--pipeline-type", "training", "--model", "churn", "--environment", "prod", "--step", "Promote"
    )


@case(
    "generate_params_json.py",
    "a value of the wrong type (`--set BatchSize=many`)",
    "error: --set BatchSize=many: parameter BatchSize='many' is not a valid Integer",
    unchanged="parameters file",
)
def params_bad_value(ctx):
    return _params(
        ctx,
        "--pipeline-type",
        "inference",
        "--model",
        "churn",
        "--environment",
        "prod",
        "--set",
        "BatchSize=many",
    )


@case(
    "generate_params_json.py",
    "`--set` without `=`",
    "error: --set 'TrainingOverrides': expected NAME=VALUE",
    unchanged="parameters file",
)
def params_malformed_set(ctx):
    return _params(
        ctx,
        "--pipeline-type",
        "training",
        "--model",
        "churn",
        "--environment",
        "prod",
        "--set",
        "TrainingOverrides",
    )


@case(
    "generate_params_json.py",
    "an unknown model (`--model churm`)",
    "error: unknown model 'churm': no <repo>/models/churm.yaml; models defined in <repo>/models: churn, maintenance",
    unchanged="parameters file",
)
def params_unknown_model(ctx):
    return _params(ctx, "--pipeline-type", "training", "--model", "churm", "--environment", "prod")


@case(
    "generate_params_json.py",
    "an unknown environment (`qa`)",
    "generate_params_json.py: error: argument --environment: invalid choice: 'qa' (choose from 'local', 'staging', 'prod')",
    unchanged="parameters file",
    exit_code=2,
)
def params_unknown_environment(ctx):
    return _params(ctx, "--pipeline-type", "training", "--model", "churn", "--environment", "qa")


# -- build_push_ecr.sh -------------------------------------------------------------------------
def _images(ctx: Ctx, *args: str, **state):
    sandbox = make_sandbox(ctx.tmp / "images", **state)
    before = sandbox.unchanged()
    result = ctx.run(
        "bash", sandbox.root / "scripts" / "build_push_ecr.sh", *args, env=sandbox.env, cwd=sandbox.root
    )
    assert sandbox.unchanged() == before
    return result


@case(
    "build_push_ecr.sh",
    "no `--environment`",
    "error: --environment is required (staging or prod)",
    unchanged="tfvars, image pins, registry",
    exit_code=2,
)
def images_missing_environment(ctx):
    return _images(ctx, "all")


@case(
    "build_push_ecr.sh",
    "an unknown environment (`--environment qa`)",
    "error: unknown environment 'qa': use staging or prod",
    unchanged="tfvars, image pins, registry",
    exit_code=2,
)
def images_unknown_environment(ctx):
    return _images(ctx, "all", "--environment", "qa")


@case(
    "build_push_ecr.sh",
    "the ECR repository does not exist",
    "error: ECR repository ml-platform-staging-training does not exist in account 111111111111, region us-east-1 (or cannot be read)",
    unchanged="tfvars, image pins, registry",
)
def images_missing_repository(ctx):
    return _images(ctx, "all", "--environment", "staging", repositories=[])


@case(
    "build_push_ecr.sh",
    "AWS credentials of another account",
    "error: the credentials are for account 222222222222 but terraform/staging/terraform.tfvars targets account 111111111111 (sagemaker_role_arn)",
    unchanged="tfvars, image pins, registry",
)
def images_wrong_account(ctx):
    return _images(ctx, "all", "--environment", "staging", account="222222222222")


# -- local runner ------------------------------------------------------------------------------
def _runner(ctx: Ctx, definition: str | Path, parameters: dict | str | None):
    work = ctx.tmp / "work"
    args: list[str | Path] = []
    if parameters is not None:
        path = ctx.tmp / "params.json"
        path.write_text(parameters if isinstance(parameters, str) else json.dumps(parameters))
        args = ["--parameters", path]
    result = ctx.run(sys.executable, "-m", "ml_platform_local.runner", definition, *args, "--work-dir", work)
    assert not work.exists() or list(work.iterdir()) == []
    return result


@case(
    "local runner",
    "an unknown parameter in the parameters file",
    "error: <tmp>/params.json: unknown parameter 'Trees'; the definition declares DataUri, Environment, ExperimentName, FeatureGroupPrefix, FeatureStoreBackend, KmsKeyId, LabelEndDate, LabelStartDate, LabelsUri, MlflowTrackingUri, Model, ModelOutputS3Uri, ModelSpecSha256, PredictionsS3Uri, PromoteModelVersion, SageMakerRoleArn, TrainingImageUri, TrainingInstanceType, TrainingOverrides",
    unchanged="work folder",
)
def runner_unknown_parameter(ctx):
    return _runner(ctx, "pipelines/training.json", {"PipelineParameters": [{"Name": "Trees", "Value": "5"}]})


@case(
    "local runner",
    "a parameter value of the wrong type",
    "error: <tmp>/params.json: parameter BatchSize='many' is not a valid Integer",
    unchanged="work folder",
)
def runner_bad_parameter_value(ctx):
    return _runner(
        ctx, "pipelines/inference.json", {"PipelineParameters": [{"Name": "BatchSize", "Value": "many"}]}
    )


@case(
    "local runner",
    "a pipeline definition that does not exist",
    "error: pipelines/trainig.json: pipeline definition not found",
    unchanged="work folder",
)
def runner_missing_definition(ctx):
    return _runner(ctx, "pipelines/trainig.json", None)


@case(
    "local runner",
    "a parameters file that is not JSON",
    "error: <tmp>/params.json: cannot read the parameters file: Expecting value: line 1 column 1 (char 0)",
    unchanged="work folder",
)
def runner_parameters_not_json(ctx):
    return _runner(ctx, "pipelines/training.json", "NEstimators=5")


# -- Terraform variables -----------------------------------------------------------------------
# Rows of one group share a plan (a plan costs ~4.5 CPU-s): a user's plan with several mistakes
# reports each of them. A group holds only mistakes that don't hide each other: an invalid root
# variable stops Terraform before the preconditions and the modules' own validations, and each
# variable is set by one row. A row whose message is missing from its group's plan fails.
PLAN_GROUPS: dict[str, dict[str, str]] = {}  # group -> the -var inputs of its rows
SPEC_EDITS: dict[str, tuple[str, str, str]] = {}  # group -> (model spec, text, replacement)
_PLANS: dict[tuple[Path, str], tuple[int, str]] = {}  # (root, group) -> (exit code, output)


def in_plan(group: str, *, spec_edit: tuple[str, str, str] | None = None, **inputs: str) -> Callable:
    """A Terraform row: ``inputs`` (and ``spec_edit``) join ``group``'s plan, and the row's result is it."""

    def register(fn: Callable) -> Callable:
        taken = PLAN_GROUPS.setdefault(group, {})
        assert not set(inputs) & set(taken), f"{fn.__name__}: a variable another row of {group} sets"
        taken.update(inputs)
        if spec_edit:
            assert group not in SPEC_EDITS, f"{fn.__name__}: one spec edit per group"
            SPEC_EDITS[group] = spec_edit

        @functools.wraps(fn)
        def run(ctx: Ctx):
            return _plan(ctx, group)

        return run

    return register


def _plan(ctx: Ctx, group: str) -> tuple[int, str]:
    from tests.integration.terraform.test_terraform import terraform

    if ctx.terraform_root is None:
        pytest.skip(
            "no hashicorp/aws provider mirror here (the machine image provides one); see test_terraform"
        )
    root = ctx.terraform_root
    if (root, group) not in _PLANS:
        variables = [f"-var={k}={v}" for k, v in PLAN_GROUPS[group].items()]
        edit = SPEC_EDITS.get(group)
        spec = root.parents[1] / "models" / edit[0] if edit else None
        original = spec.read_text() if spec else ""
        if spec:
            spec.write_text(original.replace(edit[1], edit[2]))
        try:
            done = terraform("plan", "-input=false", *variables, cwd=root, data_dir=root / "tf-data")
        finally:
            if spec:
                spec.write_text(original)
        assert not (root / "terraform.tfstate").exists()
        _PLANS[root, group] = done.returncode, " ".join((done.stdout + done.stderr).split())
    return _PLANS[root, group]


@case(
    "Terraform",
    "a model spec with a malformed cron (`cron(0 2 * *)`)",
    "Each schedule_expression must be an EventBridge cron with six fields, e.g. cron(0 2 * * ? *).",
    unchanged="Terraform state",
)
@in_plan("spec and role", spec_edit=("churn.yaml", "cron(0 2 * * ? *)", "cron(0 2 * *)"))
def terraform_malformed_cron(ctx): ...


@case(
    "Terraform",
    "an unknown environment (`dev`)",
    'var.environment is "dev" environment must be staging or prod.',
    unchanged="Terraform state",
)
@in_plan("root variables", environment="dev")
def terraform_unknown_environment(ctx): ...


@case(
    "Terraform",
    "an instance type without the `ml.` prefix",
    'var.training_instance_type is "m5.large" training_instance_type must be a SageMaker instance type such as ml.m5.large.',
    unchanged="Terraform state",
)
@in_plan("root variables", training_instance_type="m5.large")
def terraform_bad_instance_type(ctx): ...


@case(
    "Terraform",
    "an example value left in terraform.tfvars (account `111111111111`)",
    'terraform.tfvars still holds example values in sagemaker_role_arn: replace the example account ids 111111111111/222222222222, the example subnet and security group ids and every REPLACE-ME with your own values (docs/deploy.md, "Values to replace").',
    unchanged="Terraform state",
)
@in_plan(
    "example values",
    sagemaker_role_arn="arn:aws:iam::111111111111:role/ml-platform-staging-sagemaker-execution",
)
def terraform_example_account(ctx): ...


@case(
    "Terraform",
    "a tag-only image reference (`...-training:latest`)",
    "training_image_uri: not pinned by digest (<repository>@sha256:<digest>): run scripts/build_push_ecr.sh all --environment staging, which pushes the images and writes images.auto.tfvars.json (docs/deploy.md).",
    unchanged="Terraform state",
)
@in_plan(
    "example values",
    training_image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-platform-staging-training:latest",
)
def terraform_tag_only_image(ctx): ...


@case(
    "Terraform",
    "a role ARN that is not the one Terraform creates",
    "sagemaker_role_arn in terraform.tfvars is arn:aws:iam::123456789012:role/ml-platform-staging-sagemaker, not the value Terraform creates: set it to arn:aws:iam::123456789012:role/ml-platform-staging-sagemaker-execution.",
    unchanged="Terraform state",
)
@in_plan("spec and role", sagemaker_role_arn="arn:aws:iam::123456789012:role/ml-platform-staging-sagemaker")
def terraform_wrong_role_arn(ctx): ...


@case(
    "Terraform",
    "a Kafka mechanism MSK does not offer (`PLAIN`)",
    "kafka_sasl_mechanism must be SCRAM-SHA-512 or AWS_MSK_IAM (MSK's SASL mechanisms), or empty without SASL.",
    unchanged="Terraform state",
)
@in_plan("root variables", kafka_sasl_mechanism="PLAIN")
def terraform_unknown_kafka_mechanism(ctx): ...


@case(
    "Terraform",
    "SASL/SCRAM with a secret not named `AmazonMSK_*`",
    "kafka_secret_arn must be the ARN of a secret whose name starts with AmazonMSK_ (MSK refuses other SCRAM secrets); rename the secret and use its ARN.",
    unchanged="Terraform state",
)
@in_plan(
    "SCRAM secret",
    kafka_sasl_mechanism="SCRAM-SHA-512",
    kafka_cluster_arn="",
    kafka_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-user-AbCdEf",
    kafka_secret_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-1111-2222-333344445555",
)
def terraform_scram_secret_without_prefix(ctx): ...


@case(
    "Terraform",
    "`create_vpc_endpoints = true` without `vpc_id` and route tables",
    "create_vpc_endpoints needs vpc_id, vpc_route_table_ids, job_subnet_ids and job_security_group_ids.",
    unchanged="Terraform state",
)
@in_plan("root variables", create_vpc_endpoints="true")
def terraform_vpc_endpoints_without_vpc(ctx): ...


# -- the tests ---------------------------------------------------------------------------------
def check_case(name: str, ctx: Ctx) -> None:
    entry = CASES[name]
    code, output = entry.run(ctx)
    print(output)
    assert code == entry.exit_code, output[-3000:]
    assert entry.pattern().search(output), f"expected: {entry.message}\n\ngot: {output[-3000:]}"
    assert "Traceback" not in output


# The Terraform rows run from test_catalogue_terraform.py, so that another xdist worker plans them.
@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.area != "Terraform"])
def test_bad_input(name, ctx):
    check_case(name, ctx)


def test_the_docs_table_is_these_cases():
    assert len(CASES) >= 25
    assert DOC.read_text() == render(DOC.read_text()), (
        "docs/bad-input.md is out of date: run `python -m tests.integration.catalogue.render`"
    )
