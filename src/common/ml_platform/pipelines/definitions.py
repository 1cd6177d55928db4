"""The two SageMaker pipeline definitions (training: TrainModel -> PromoteModel, and MonitorModel
beside them; inference: BatchInference), written once in Python.

``render()`` produces the definition JSON (``Version`` 2020-12-01). ``scripts/render_pipelines.py``
writes it to ``pipelines/<name>.json``; Terraform deploys that file (``file()`` in
``aws_sagemaker_pipeline.pipeline_definition``, one pipeline per model) and the local runner
executes the same file. Where each parameter's value comes from (:func:`sources`) goes to
``pipelines/parameters.json``, which Terraform's schedules and generate_params_json.py both
read. A test proves the committed files equal what this module renders.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VERSION = "2020-12-01"
PIPELINES = ("training", "inference")
# docker/entrypoint.sh in both images; a processing job's ContainerEntrypoint replaces the image's.
ENTRYPOINT = "/usr/local/bin/mlp-entrypoint"


@dataclass(frozen=True)
class Parameter:
    """A pipeline parameter and where its value comes from in a schedule or manual run.

    ``source`` is ``setting:<key>`` (a key of the environment's settings: terraform.tfvars or
    pipelines/local.tfvars, and the same-named value Terraform computes) or ``model:<what>``
    (``name``, ``sha256`` or ``training_overrides`` of the model spec). Both Terraform and
    generate_params_json.py read this table from pipelines/parameters.json.
    """

    name: str
    type: str  # String | Integer | Float | Boolean
    default: Any
    source: str

    def as_json(self) -> dict[str, Any]:
        return {"Name": self.name, "Type": self.type, "DefaultValue": self.default}


# Empty defaults mean "the model spec's value" (e.g. the labels file, the topic).
COMMON = (
    Parameter("Environment", "String", "local", "setting:environment"),
    Parameter(
        "SageMakerRoleArn",
        "String",
        "arn:aws:iam::000000000000:role/ml-platform-local-sagemaker",
        "setting:sagemaker_role_arn",
    ),
    Parameter("MlflowTrackingUri", "String", "", "setting:mlflow_tracking_uri"),
    Parameter("FeatureStoreBackend", "String", "sagemaker", "setting:feature_store_backend"),
    Parameter("FeatureGroupPrefix", "String", "", "setting:feature_group_prefix"),
    Parameter("DataUri", "String", "", "setting:data_uri"),
    Parameter("Model", "String", "", "model:name"),
    Parameter("ModelSpecSha256", "String", "", "model:sha256"),
    # The platform key for the training output and the processing outputs (an alias name, known
    # before the key exists). Empty: S3's default key (the local runner has no KMS).
    Parameter("KmsKeyId", "String", "", "setting:kms_key_id"),
    # The prediction archive: BatchInference writes it (ml_inference.archive), MonitorModel reads
    # it (ml_training.monitor). Empty: the local state folder (local runs).
    Parameter("PredictionsS3Uri", "String", "", "setting:predictions_s3_uri"),
)
TRAINING = (
    Parameter("TrainingImageUri", "String", "ml-platform-training:local", "setting:training_image_uri"),
    Parameter("TrainingInstanceType", "String", "ml.m5.large", "setting:training_instance_type"),
    Parameter("TrainingOverrides", "String", "{}", "model:training_overrides"),
    Parameter("ExperimentName", "String", "", "setting:experiment_name"),
    Parameter("LabelsUri", "String", "", "manual"),
    Parameter("LabelStartDate", "String", "", "manual"),
    Parameter("LabelEndDate", "String", "", "manual"),
    Parameter(
        "ModelOutputS3Uri", "String", "s3://ml-platform-local-models/training", "setting:model_output_s3_uri"
    ),
    # PromoteModel gates this version; empty: the one TrainModel registered in this execution.
    # Re-gating an older version runs PromoteModel alone (selective execution).
    Parameter("PromoteModelVersion", "String", "", "manual"),
)
INFERENCE = (
    Parameter("InferenceImageUri", "String", "ml-platform-inference:local", "setting:inference_image_uri"),
    Parameter("InferenceInstanceType", "String", "ml.m5.large", "setting:inference_instance_type"),
    Parameter("InferenceInstanceCount", "Integer", 1, "setting:inference_instance_count"),
    Parameter("KafkaBootstrapServers", "String", "", "setting:kafka_bootstrap_servers"),
    Parameter("KafkaTopic", "String", "", "manual"),
    Parameter("KafkaCreateTopic", "String", "false", "setting:kafka_create_topic"),
    # Kafka security: PLAINTEXT/SSL without SASL, SASL_SSL with SCRAM-SHA-512 (the password in a
    # Secrets Manager secret) or with AWS_MSK_IAM (OAUTHBEARER tokens signed with the job's role).
    Parameter("KafkaSecurityProtocol", "String", "PLAINTEXT", "setting:kafka_security_protocol"),
    Parameter("KafkaSaslMechanism", "String", "", "setting:kafka_sasl_mechanism"),
    Parameter("KafkaSaslSecretId", "String", "", "setting:kafka_secret_arn"),
    Parameter("AwsRegion", "String", "", "setting:aws_region"),
    Parameter("BatchSize", "Integer", 50000, "setting:batch_size"),
    Parameter("ModelAlias", "String", "champion", "setting:model_alias"),
    Parameter("ScoringAsOf", "String", "now", "manual"),
    Parameter("EntityListUri", "String", "", "manual"),
    Parameter("ReportS3Uri", "String", "s3://ml-platform-local-reports/inference", "setting:report_s3_uri"),
)


# Parameters whose definition default only serves local runs: a deployed job refuses them.
NEEDED_IN_AWS = (
    "Environment",
    "Model",
    "ModelSpecSha256",
    "DataUri",
    "MlflowTrackingUri",
    "FeatureGroupPrefix",
)


def local_defaults(env: Mapping[str, str]) -> list[str]:
    """Parameters of NEEDED_IN_AWS that reached a job (its MLP_* environment) at their default."""
    defaults = {p.name: str(p.default) for p in COMMON}
    found = []
    for variable, value in _environment().items():
        name = value["Get"].removeprefix("Parameters.")
        if name in NEEDED_IN_AWS and env.get(variable, "") == defaults[name]:
            found.append(f"{name}={defaults[name]!r}")
    return found


def parameters(pipeline: str) -> tuple[Parameter, ...]:
    return COMMON + (TRAINING if pipeline == "training" else INFERENCE)


def _get(name: str) -> dict[str, str]:
    return {"Get": f"Parameters.{name}"}


def _text(name: str) -> dict[str, Any]:
    """A parameter as a string (hyperparameters and arguments must be strings)."""
    return {"Std:Join": {"On": "", "Values": [_get(name)]}}


def sources(pipeline: str) -> dict[str, dict[str, str]]:
    """Parameter -> {"setting": key} or {"model": what}: pipelines/parameters.json (manual-only left out)."""
    table = {}
    for p in parameters(pipeline):
        kind, _, key = p.source.partition(":")
        if kind != "manual":
            table[p.name] = {kind: key}
    return table


def _environment() -> dict[str, Any]:
    return {
        "MLP_ENVIRONMENT": _get("Environment"),
        "MLP_MODEL": _get("Model"),
        "MLP_MODEL_SPEC_SHA256": _get("ModelSpecSha256"),
        "MLP_DATA_URI": _get("DataUri"),
        "MLP_MLFLOW_TRACKING_URI": _get("MlflowTrackingUri"),
        "MLP_FEATURE_STORE_BACKEND": _get("FeatureStoreBackend"),
        "MLP_FEATURE_GROUP_PREFIX": _get("FeatureGroupPrefix"),
        "MLP_PIPELINE_EXECUTION_ARN": {"Get": "Execution.PipelineExecutionArn"},
    }


def _kafka_environment() -> dict[str, Any]:
    """Kafka security settings of batch inference (MLP_* settings of the job)."""
    return {
        "MLP_KAFKA_SECURITY_PROTOCOL": _get("KafkaSecurityProtocol"),
        "MLP_KAFKA_SASL_MECHANISM": _get("KafkaSaslMechanism"),
        "MLP_KAFKA_SASL_SECRET_ID": _get("KafkaSaslSecretId"),
        "MLP_AWS_REGION": _get("AwsRegion"),
    }


def training_definition() -> dict[str, Any]:
    hyperparameters = {
        "environment": _get("Environment"),
        "overrides": _get("TrainingOverrides"),
        "experiment_name": _get("ExperimentName"),
        "labels_uri": _get("LabelsUri"),
        "label_start_date": _get("LabelStartDate"),
        "label_end_date": _get("LabelEndDate"),
        "image_uri": _get("TrainingImageUri"),
        "promote": "false",  # the PromoteModel step gates the new version
    }
    step = {
        "Name": "TrainModel",
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {
                "TrainingImage": _get("TrainingImageUri"),
                "TrainingInputMode": "File",
            },
            "HyperParameters": hyperparameters,
            "Environment": _environment(),
            # KmsKeyId: key ID or ARN, alias name or alias ARN (OutputDataConfig,
            # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_OutputDataConfig.html).
            "OutputDataConfig": {"S3OutputPath": _get("ModelOutputS3Uri"), "KmsKeyId": _get("KmsKeyId")},
            "ResourceConfig": {
                "InstanceCount": 1,
                "InstanceType": _get("TrainingInstanceType"),
                "VolumeSizeInGB": 30,
            },
            "RoleArn": _get("SageMakerRoleArn"),
            "StoppingCondition": {"MaxRuntimeInSeconds": 7200},
        },
    }
    return _pipeline("training", [step, _promote_step(), _monitor_step()])


def _promote_step() -> dict[str, Any]:
    """Validate and promote: the gate, a processing job in the training image after TrainModel.

    A second step rather than a ConditionStep: the decision needs the champion re-scored on the
    new version's holdout, which only code that loads both models can do, and the alias move
    belongs with it. Selective execution of this step alone re-gates any registered version
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_SelectiveExecutionConfig.html).
    """
    arguments = {
        "--environment": _get("Environment"),
        # The same overrides as TrainModel's, so the gate's margin and floor agree with it.
        "--overrides": _get("TrainingOverrides"),
        "--experiment-name": _get("ExperimentName"),
        "--model-version": _get("PromoteModelVersion"),
    }
    return {**_training_image_step("PromoteModel", "promote", arguments), "DependsOn": ["TrainModel"]}


def _monitor_step() -> dict[str, Any]:
    """Realised quality of the archived predictions, a processing job in the training image.

    In the training pipeline because its input is the training input: the labels that arrived
    for earlier predictions. It depends on no step, so SageMaker runs it beside TrainModel ("a
    pipeline performs all steps that are available to run in parallel",
    https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-pipeline.html); a failure
    fails the execution, and its alert, without holding training back.
    """
    arguments = {
        "--environment": _get("Environment"),
        "--experiment-name": _get("ExperimentName"),
        "--labels-uri": _get("LabelsUri"),
        "--predictions-uri": _get("PredictionsS3Uri"),
    }
    return _training_image_step("MonitorModel", "monitor", arguments)


def _training_image_step(name: str, mode: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A processing job that runs ``ml-training <mode>`` in the training image, on one instance."""
    cluster = {"InstanceCount": 1, "InstanceType": _get("TrainingInstanceType"), "VolumeSizeInGB": 30}
    return {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {"ClusterConfig": cluster},
            "AppSpecification": {
                "ImageUri": _get("TrainingImageUri"),
                "ContainerEntrypoint": [ENTRYPOINT, "ml-training", mode],
                "ContainerArguments": _flags(arguments),
            },
            "Environment": _environment(),
            "RoleArn": _get("SageMakerRoleArn"),
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }


def _flags(values: Mapping[str, Any]) -> list[Any]:
    """Container arguments ``--flag value ...`` in the mapping's order."""
    return [item for flag, value in values.items() for item in (flag, value)]


def _report_output() -> dict[str, Any]:
    """The run report folder, uploaded at the end with the platform key (KmsKeyId: key ID, ARN
    or alias, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProcessingOutputConfig.html)."""
    output = {
        "OutputName": "run-report",
        "AppManaged": False,
        "S3Output": {
            "S3Uri": _get("ReportS3Uri"),
            "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob",
        },
    }
    return {"KmsKeyId": _get("KmsKeyId"), "Outputs": [output]}


def inference_definition() -> dict[str, Any]:
    arguments = _flags(
        {
            "--environment": _get("Environment"),
            "--model-alias": _get("ModelAlias"),
            "--kafka-bootstrap-servers": _get("KafkaBootstrapServers"),
            "--kafka-topic": _get("KafkaTopic"),
            "--kafka-create-topic": _get("KafkaCreateTopic"),
            "--entity-list-uri": _get("EntityListUri"),
            "--predictions-uri": _get("PredictionsS3Uri"),
            "--batch-size": _text("BatchSize"),
            "--as-of": _get("ScoringAsOf"),
            "--execution-start-time": {"Get": "Execution.StartDateTime"},
            "--pipeline-execution-id": {"Get": "Execution.PipelineExecutionId"},
        }
    )
    cluster = {
        "InstanceCount": _get("InferenceInstanceCount"),
        "InstanceType": _get("InferenceInstanceType"),
        "VolumeSizeInGB": 30,
    }
    step = {
        "Name": "BatchInference",
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {"ClusterConfig": cluster},
            "AppSpecification": {
                "ImageUri": _get("InferenceImageUri"),
                # The image's entry point: takes the mounted output folders, then drops root.
                "ContainerEntrypoint": [ENTRYPOINT, "ml-inference"],
                "ContainerArguments": arguments,
            },
            "Environment": _environment() | _kafka_environment(),
            "ProcessingOutputConfig": _report_output(),
            "RoleArn": _get("SageMakerRoleArn"),
            "StoppingCondition": {"MaxRuntimeInSeconds": 7200},
        },
    }
    return _pipeline("inference", [step])


def _pipeline(name: str, steps: list[dict]) -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Metadata": {"ml-platform/pipeline": name},
        "Parameters": [p.as_json() for p in parameters(name)],
        "Steps": steps,
    }


def render(pipeline: str) -> dict[str, Any]:
    if pipeline == "training":
        return training_definition()
    if pipeline == "inference":
        return inference_definition()
    raise ValueError(f"unknown pipeline {pipeline!r}; use one of {', '.join(PIPELINES)}")


def canonical(definition: dict[str, Any] | str) -> str:
    """Key-sorted, compact JSON with numbers normalised (Terraform writes 0.0 as 0)."""
    if isinstance(definition, str):
        definition = json.loads(definition)
    return json.dumps(_numbers(definition), sort_keys=True, separators=(",", ":"))


def _numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
