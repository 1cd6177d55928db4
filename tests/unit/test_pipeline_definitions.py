"""The pipeline definitions: one source, rendered to the files Terraform and the local runner use."""

from __future__ import annotations

import json

import pytest

from ml_platform.errors import ConfigError
from ml_platform.pipelines.definitions import PIPELINES, canonical, parameters, render, sources
from ml_platform_local.runner import Execution, resolve_parameters, step_order
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", PIPELINES)
def test_committed_definition_is_the_rendered_one(name):
    committed = (REPO_ROOT / "pipelines" / f"{name}.json").read_text()
    assert canonical(committed) == canonical(render(name)), "run: make render"


def test_committed_parameter_sources_are_the_rendered_ones():
    committed = json.loads((REPO_ROOT / "pipelines" / "parameters.json").read_text())
    assert committed == {name: sources(name) for name in PIPELINES}, "run: make render"
    # Every parameter has a source or is left to manual runs on purpose; none is forgotten.
    assert set(committed["training"]) >= {"Model", "ModelSpecSha256", "DataUri", "TrainingOverrides"}
    assert "LabelsUri" not in committed["training"]  # the job derives it from the spec and DataUri


def test_definitions_cover_the_required_parameters():
    training = {p.name for p in parameters("training")}
    inference = {p.name for p in parameters("inference")}
    assert {
        "TrainingImageUri",
        "TrainingInstanceType",
        "Model",
        "ModelSpecSha256",
        "TrainingOverrides",
        "ExperimentName",
        "LabelStartDate",
        "LabelEndDate",
    } <= training
    assert {
        "InferenceImageUri",
        "InferenceInstanceType",
        "InferenceInstanceCount",
        "KafkaTopic",
        "BatchSize",
        "ScoringAsOf",
        "Model",
        "ModelSpecSha256",
        "EntityListUri",
    } <= inference
    assert render("training")["Version"] == "2020-12-01"
    assert [(s["Name"], s["Type"]) for s in render("training")["Steps"]] == [
        ("TrainModel", "Training"),
        ("PromoteModel", "Processing"),
        ("MonitorModel", "Processing"),
    ]
    assert [s["Type"] for s in render("inference")["Steps"]] == ["Processing"]


def test_expressions_evaluate_like_sagemaker():
    definition = render("training")
    values = resolve_parameters(
        definition,
        {"PipelineParameters": [{"Name": "TrainingOverrides", "Value": '{"n_estimators":"7"}'}]},
        "p.json",
    )
    execution = Execution("p", "exec-1", values, REPO_ROOT)
    hyper = execution.evaluate(definition["Steps"][0]["Arguments"]["HyperParameters"])
    assert hyper["overrides"] == '{"n_estimators":"7"}' and hyper["labels_uri"] == ""
    env = execution.evaluate(definition["Steps"][0]["Arguments"]["Environment"])
    assert env["MLP_PIPELINE_EXECUTION_ARN"].endswith("/execution/exec-1")


def test_parameters_are_checked_against_the_definition():
    definition = render("inference")
    with pytest.raises(ConfigError, match="unknown parameter 'BatchSise'"):
        resolve_parameters(
            definition, {"PipelineParameters": [{"Name": "BatchSise", "Value": "1"}]}, "p.json"
        )
    with pytest.raises(ConfigError, match="BatchSize='big' is not a valid Integer"):
        resolve_parameters(
            definition, {"PipelineParameters": [{"Name": "BatchSize", "Value": "big"}]}, "p.json"
        )


def test_step_order_follows_depends_on_and_refuses_cycles():
    a = {"Name": "A", "Type": "Training", "DependsOn": ["B"]}
    b = {"Name": "B", "Type": "Training"}
    assert [s["Name"] for s in step_order({"Steps": [a, b]})] == ["B", "A"]
    with pytest.raises(ConfigError, match="cycle"):
        step_order({"Steps": [a, {**b, "DependsOn": ["A"]}]})


def references(value) -> list[str]:
    """Every ``{"Get": ...}`` target in a definition fragment."""
    if isinstance(value, dict):
        if set(value) == {"Get"}:
            return [value["Get"]]
        return [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


@pytest.mark.parametrize("name", PIPELINES)
def test_every_reference_names_a_declared_parameter_or_an_execution_variable(name):
    definition = render(name)
    declared = {p["Name"] for p in definition["Parameters"]}
    # The execution variables SageMaker documents (Execution.StartDateTime, ...PipelineExecutionId, ...Arn).
    execution = {"Execution.StartDateTime", "Execution.PipelineExecutionId", "Execution.PipelineExecutionArn"}
    found = set(references(definition["Steps"]))
    assert found - execution - {f"Parameters.{n}" for n in declared} == set()
    assert {f"Parameters.{n}" for n in declared} - found == set(), "a declared parameter no step uses"


def test_promote_step_gates_what_train_model_registered():
    train, promote, _ = render("training")["Steps"]
    assert promote["DependsOn"] == ["TrainModel"]
    assert (
        train["Arguments"]["HyperParameters"]["promote"] == "false"
    )  # the job leaves the gate to PromoteModel
    spec = promote["Arguments"]["AppSpecification"]
    assert spec["ImageUri"] == train["Arguments"]["AlgorithmSpecification"]["TrainingImage"]
    assert spec["ContainerEntrypoint"][1:] == ["ml-training", "promote"]
    # Same model, MLflow and execution ARN: the step finds the version by its pipeline_execution_arn tag.
    assert promote["Arguments"]["Environment"] == train["Arguments"]["Environment"]
    values = resolve_parameters(
        render("training"),
        {"PipelineParameters": [{"Name": "PromoteModelVersion", "Value": "3"}]},
        "p.json",
    )
    arguments = Execution("p", "e", values, REPO_ROOT).evaluate(spec["ContainerArguments"])
    assert arguments[arguments.index("--model-version") + 1] == "3"
    assert arguments[arguments.index("--overrides") + 1] == "{}"  # TrainModel's overrides, so the same floor


def test_monitor_step_reads_the_archive_inference_writes_beside_training():
    training, inference = render("training"), render("inference")
    train, _, monitor = training["Steps"]
    assert "DependsOn" not in monitor  # SageMaker runs it in parallel with TrainModel
    spec = monitor["Arguments"]["AppSpecification"]
    assert spec["ImageUri"] == train["Arguments"]["AlgorithmSpecification"]["TrainingImage"]
    assert spec["ContainerEntrypoint"][1:] == ["ml-training", "monitor"]
    assert monitor["Arguments"]["Environment"] == train["Arguments"]["Environment"]
    values = resolve_parameters(
        training,
        {
            "PipelineParameters": [
                {"Name": "PredictionsS3Uri", "Value": "s3://m/predictions"},
                {"Name": "LabelsUri", "Value": "s3://d/labels.parquet"},
            ]
        },
        "p.json",
    )
    arguments = Execution("p", "e", values, REPO_ROOT).evaluate(spec["ContainerArguments"])
    assert arguments[arguments.index("--predictions-uri") + 1] == "s3://m/predictions"
    assert arguments[arguments.index("--labels-uri") + 1] == "s3://d/labels.parquet"
    # both pipelines take the archive's location from the same setting
    archive = [p for p in training["Parameters"] if p["Name"] == "PredictionsS3Uri"]
    assert archive == [p for p in inference["Parameters"] if p["Name"] == "PredictionsS3Uri"]
    assert sources("training")["PredictionsS3Uri"] == sources("inference")["PredictionsS3Uri"]


def test_selective_execution_names_existing_steps():
    from ml_platform_local.params import select_steps
    from ml_platform_local.runner import selected

    request = select_steps({}, "training", ["PromoteModel"])
    assert request["SelectiveExecutionConfig"] == {"SelectedSteps": [{"StepName": "PromoteModel"}]}
    assert selected(render("training"), request) == {"PromoteModel"}
    assert selected(render("training"), {}) is None
    with pytest.raises(
        ConfigError,
        match="--step 'Promote': the training pipeline has the steps TrainModel, PromoteModel, MonitorModel",
    ):
        select_steps({}, "training", ["Promote"])
    bad = {"SelectiveExecutionConfig": {"SelectedSteps": [{"StepName": "Nope"}]}}
    with pytest.raises(
        ConfigError,
        match=r"SelectedSteps \['Nope'\]: the definition has the steps MonitorModel, PromoteModel, TrainModel",
    ):
        selected(render("training"), bad)


def test_a_parameter_value_longer_than_sagemaker_takes_is_refused():
    from ml_platform_local.params import check_value

    assert check_value("training", "TrainingOverrides", "x" * 1024, "here") == "x" * 1024
    with pytest.raises(
        ConfigError, match="parameter TrainingOverrides is 1025 characters long; SageMaker takes at most 1024"
    ):
        check_value("training", "TrainingOverrides", "x" * 1025, "here")
