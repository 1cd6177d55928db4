"""The two SageMaker pipeline definitions, written once in Python.

``render()`` produces the definition JSON (``Version`` 2020-12-01). ``scripts/render_pipelines.py``
writes it to ``pipelines/<name>.json``; Terraform deploys that file (``file()`` in
``aws_sagemaker_pipeline.pipeline_definition``) and the local runner executes the same file.
A test proves the committed files equal what this module renders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

VERSION = "2020-12-01"
PIPELINES = ("training", "inference")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # String | Integer | Float | Boolean
    default: Any
    tfvar: str | None  # the env settings key that provides it (terraform.tfvars / local.tfvars)

    def as_json(self) -> dict[str, Any]:
        return {"Name": self.name, "Type": self.type, "DefaultValue": self.default}


COMMON = (
    Parameter("Environment", "String", "local", "environment"),
    Parameter(
        "SageMakerRoleArn",
        "String",
        "arn:aws:iam::000000000000:role/ml-platform-local-sagemaker",
        "sagemaker_role_arn",
    ),
    Parameter("MlflowTrackingUri", "String", "", "mlflow_tracking_uri"),
    Parameter("FeatureStoreBackend", "String", "sagemaker", "feature_store_backend"),
    Parameter("FeatureGroupPrefix", "String", "", "feature_group_prefix"),
    Parameter("ModelName", "String", "churn-classifier", "model_name"),
)
TRAINING = (
    Parameter("TrainingImageUri", "String", "ml-platform-training:local", "training_image_uri"),
    Parameter("TrainingInstanceType", "String", "ml.m5.large", "training_instance_type"),
    Parameter("Estimator", "String", "random_forest", "estimator"),
    Parameter("NEstimators", "Integer", 100, "n_estimators"),
    Parameter("MaxDepth", "Integer", 10, "max_depth"),
    Parameter("MinSamplesLeaf", "Integer", 5, "min_samples_leaf"),
    Parameter("ExperimentName", "String", "", "experiment_name"),
    Parameter("LabelsUri", "String", "", "labels_uri"),
    Parameter("LabelStartDate", "String", "", "label_start_date"),
    Parameter("LabelEndDate", "String", "", "label_end_date"),
    Parameter("PromotionMargin", "Float", 0.0, "promotion_margin"),
    Parameter("ModelOutputS3Uri", "String", "s3://ml-platform-local-models/training", "model_output_s3_uri"),
)
INFERENCE = (
    Parameter("InferenceImageUri", "String", "ml-platform-inference:local", "inference_image_uri"),
    Parameter("InferenceInstanceType", "String", "ml.m5.large", "inference_instance_type"),
    Parameter("InferenceInstanceCount", "Integer", 1, "inference_instance_count"),
    Parameter("KafkaBootstrapServers", "String", "", "kafka_bootstrap_servers"),
    Parameter("KafkaTopic", "String", "ml-predictions-local", "kafka_output_topic"),
    Parameter("KafkaCreateTopic", "String", "false", "kafka_create_topic"),
    Parameter("BatchSize", "Integer", 50000, "batch_size"),
    Parameter("ModelAlias", "String", "champion", "model_alias"),
    Parameter("ScoringAsOf", "String", "now", "scoring_as_of"),
    Parameter("ReportS3Uri", "String", "s3://ml-platform-local-reports/inference", "report_s3_uri"),
)


def parameters(pipeline: str) -> tuple[Parameter, ...]:
    return COMMON + (TRAINING if pipeline == "training" else INFERENCE)


def _get(name: str) -> dict[str, str]:
    return {"Get": f"Parameters.{name}"}


def _text(name: str) -> dict[str, Any]:
    """A parameter as a string (hyperparameters and arguments must be strings)."""
    return {"Std:Join": {"On": "", "Values": [_get(name)]}}


def _environment() -> dict[str, Any]:
    return {
        "MLP_ENVIRONMENT": _get("Environment"),
        "MLP_MLFLOW_TRACKING_URI": _get("MlflowTrackingUri"),
        "MLP_FEATURE_STORE_BACKEND": _get("FeatureStoreBackend"),
        "MLP_FEATURE_GROUP_PREFIX": _get("FeatureGroupPrefix"),
        "MLP_PIPELINE_EXECUTION_ARN": {"Get": "Execution.PipelineExecutionArn"},
    }


def training_definition() -> dict[str, Any]:
    hyperparameters = {
        "environment": _get("Environment"),
        "model_name": _get("ModelName"),
        "experiment_name": _get("ExperimentName"),
        "labels_uri": _get("LabelsUri"),
        "label_start_date": _get("LabelStartDate"),
        "label_end_date": _get("LabelEndDate"),
        "estimator": _get("Estimator"),
        "n_estimators": _text("NEstimators"),
        "max_depth": _text("MaxDepth"),
        "min_samples_leaf": _text("MinSamplesLeaf"),
        "promotion_margin": _text("PromotionMargin"),
        "image_uri": _get("TrainingImageUri"),
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
            "OutputDataConfig": {"S3OutputPath": _get("ModelOutputS3Uri")},
            "ResourceConfig": {
                "InstanceCount": 1,
                "InstanceType": _get("TrainingInstanceType"),
                "VolumeSizeInGB": 30,
            },
            "RoleArn": _get("SageMakerRoleArn"),
            "StoppingCondition": {"MaxRuntimeInSeconds": 7200},
        },
    }
    return _pipeline("training", [step])


def inference_definition() -> dict[str, Any]:
    arguments = [
        "--environment",
        _get("Environment"),
        "--model-name",
        _get("ModelName"),
        "--model-alias",
        _get("ModelAlias"),
        "--kafka-bootstrap-servers",
        _get("KafkaBootstrapServers"),
        "--kafka-topic",
        _get("KafkaTopic"),
        "--kafka-create-topic",
        _get("KafkaCreateTopic"),
        "--batch-size",
        _text("BatchSize"),
        "--as-of",
        _get("ScoringAsOf"),
        "--execution-start-time",
        {"Get": "Execution.StartDateTime"},
        "--pipeline-execution-id",
        {"Get": "Execution.PipelineExecutionId"},
    ]
    step = {
        "Name": "BatchInference",
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceCount": _get("InferenceInstanceCount"),
                    "InstanceType": _get("InferenceInstanceType"),
                    "VolumeSizeInGB": 30,
                }
            },
            "AppSpecification": {
                "ImageUri": _get("InferenceImageUri"),
                "ContainerEntrypoint": ["ml-inference"],
                "ContainerArguments": arguments,
            },
            "Environment": _environment(),
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "run-report",
                        "AppManaged": False,
                        "S3Output": {
                            "S3Uri": _get("ReportS3Uri"),
                            "LocalPath": "/opt/ml/processing/output",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
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
