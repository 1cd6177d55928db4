"""What a person opening MLflow sees: the experiment opens on its runs, and runs say what they are."""

from __future__ import annotations

import re

import pytest
from mlflow import MlflowClient

pytestmark = pytest.mark.integration


def test_the_experiment_is_a_model_training_one_and_runs_are_named_by_model_and_environment(champion):
    client = MlflowClient(tracking_uri=f"sqlite:///{champion}")
    experiment = client.get_experiment_by_name("ml-platform-local")
    assert experiment is not None
    # without this tag MLflow 3's UI opens the experiment on its GenAI overview
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    # training runs (drift and monitoring runs carry mlp.kind and are named by it)
    runs = [r for r in client.search_runs([experiment.experiment_id]) if "mlp.kind" not in r.data.tags]
    assert runs and all(re.fullmatch(r"churn-local-\d{8}-\d{6}", r.info.run_name) for r in runs), [
        r.info.run_name for r in runs
    ]
