"""Each inference run's figures as CloudWatch custom metrics, for the alarms Terraform creates.

Namespace ``cloudwatch_namespace`` (MLPlatform in deployed environments; none locally unless
set), dimensions Model and Environment (and Feature for FeaturePSI):

- InferenceRunSucceeded: 1 for a successful run (shard), 0 for a failed one;
- PredictionsPublished: acknowledged predictions;
- SkippedShare: skipped entities / population;
- MaxFeaturePSI and FeaturePSI: feature drift against the training rows (when checked).

PutMetricData has no resource-level permissions; the role may call it only for this namespace
(condition key cloudwatch:namespace,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
"""

from __future__ import annotations

from typing import Any


def run_metrics(report: Any, *, model: str, environment: str) -> list[dict[str, Any]]:
    """The MetricData entries of one run report (``ml_inference.job.RunReport``)."""
    dims = [{"Name": "Model", "Value": model}, {"Name": "Environment", "Value": environment}]

    def datum(name: str, value: float, unit: str = "None", extra: list | None = None) -> dict[str, Any]:
        return {
            "MetricName": name,
            "Dimensions": [*dims, *(extra or [])],
            "Value": float(value),
            "Unit": unit,
        }

    skipped = report.skipped_missing + report.skipped_expired
    data = [
        datum("InferenceRunSucceeded", 1.0 if report.status == "succeeded" else 0.0),
        datum("PredictionsPublished", report.acknowledged, "Count"),
    ]
    if report.rows_read:
        data.append(datum("SkippedShare", skipped / report.rows_read))
    if report.drift:
        data.append(datum("MaxFeaturePSI", max(d["psi"] for d in report.drift.values())))
        for feature, d in report.drift.items():
            data.append(datum("FeaturePSI", d["psi"], extra=[{"Name": "Feature", "Value": feature}]))
    return data
