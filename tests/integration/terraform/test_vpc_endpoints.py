"""The optional VPC endpoints, planned from an environment's tfvars (plan JSON against moto)."""

from __future__ import annotations

import pytest

from tests.integration.terraform.test_terraform import (
    FILLED,
    WITH_OPTIONS,
    needs_mirror,
    planned,
    shared_plan,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# What the jobs call, by AWS PrivateLink's service names
# (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html).
CALLED = {
    "com.amazonaws.us-east-1.sagemaker.api",
    "com.amazonaws.us-east-1.sagemaker.featurestore-runtime",
    "aws.sagemaker.us-east-1.experiments",
    "com.amazonaws.us-east-1.ecr.api",
    "com.amazonaws.us-east-1.ecr.dkr",
    "com.amazonaws.us-east-1.logs",
    "com.amazonaws.us-east-1.sts",
    "com.amazonaws.us-east-1.kms",
}


@needs_mirror
@pytest.mark.parametrize(
    ("environment", "extra"),
    [("staging", set()), ("prod", {"com.amazonaws.us-east-1.secretsmanager"})],
    ids=["staging-msk-iam", "prod-scram"],
)
def test_endpoints_cover_what_the_jobs_call_in_the_jobs_subnets(aws, tmp_path_factory, environment, extra):
    vpc, [route_table] = WITH_OPTIONS["vpc_id"], WITH_OPTIONS["vpc_route_table_ids"]
    _, plan = shared_plan(tmp_path_factory, aws, environment, **WITH_OPTIONS)
    after = planned(plan)
    endpoints = [v for k, v in after.items() if k.startswith("module.vpc_endpoints[0].aws_vpc_endpoint.")]
    interface = [e for e in endpoints if e["vpc_endpoint_type"] == "Interface"]
    assert {e["service_name"] for e in interface} == CALLED | extra
    assert all(e["subnet_ids"] == [f"subnet-{FILLED}"] and e["vpc_id"] == vpc for e in interface)
    gateway = [e for e in endpoints if e["vpc_endpoint_type"] == "Gateway"]
    assert [(e["service_name"], e["route_table_ids"]) for e in gateway] == [
        ("com.amazonaws.us-east-1.s3", [route_table])
    ]
    group = next(v for k, v in after.items() if k.endswith("vpc_endpoints[0].aws_security_group.endpoints"))
    assert [(r["from_port"], r["security_groups"]) for r in group["ingress"]] == [(443, [f"sg-{FILLED}"])]
