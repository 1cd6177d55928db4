"""CloudWatch custom metrics of the jobs (PutMetricData, in batches; a failure is only logged).

The role may put metrics in the platform's namespace only (condition key cloudwatch:namespace,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)
BATCH = 20  # metric data per PutMetricData call (the documented limit of older API versions)


def put_metrics(namespace: str, data: list[dict[str, Any]], client: Any = None) -> None:
    """Send ``data`` in batches; a failure is logged, never raised (the run's outcome stands)."""
    try:
        import boto3

        client = client or boto3.client("cloudwatch")
        for start in range(0, len(data), BATCH):
            client.put_metric_data(Namespace=namespace, MetricData=data[start : start + BATCH])
        log.info("sent %d CloudWatch metrics to %s", len(data), namespace)
    except Exception as exc:  # botocore errors, missing credentials: the alarms will say "no data"
        log.warning("could not send the run's CloudWatch metrics to %s: %s", namespace, exc)
