"""Every module takes `tags` (terraform/shared/tags.tf): the environment's tags reach every resource
that takes tags, and AWS's tag rules are checked at plan time."""

from __future__ import annotations

import pytest

from tests.integration.terraform.test_terraform import (
    TAGS,
    WITH_OPTIONS,
    filled_copy,
    init,
    needs_mirror,
    planned,
    shared_plan,
    terraform,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@needs_mirror
def test_the_environments_tags_reach_every_resource_that_takes_tags(aws, tmp_path_factory):
    _, plan = shared_plan(tmp_path_factory, aws, "staging", **WITH_OPTIONS)
    after = planned(plan)
    taggable = {address: values for address, values in after.items() if "tags" in values}
    # One of each kind the modules create, so a module that drops its tags cannot pass unseen.
    kinds = {address.split(".")[-2] for address in taggable}
    assert {
        "aws_s3_bucket",
        "aws_kms_key",
        "aws_ecr_repository",
        "aws_iam_role",
        "aws_sagemaker_feature_group",
        "aws_sagemaker_pipeline",
        "aws_sns_topic",
        "aws_sqs_queue",
        "aws_cloudwatch_event_rule",
        "aws_vpc_endpoint",
        "aws_security_group",
    } <= {k.split("[")[0] for k in kinds}
    missing = [a for a, v in taggable.items() if not TAGS.items() <= (v["tags"] or {}).items()]
    assert missing == []


@needs_mirror
def test_a_reserved_tag_key_fails_the_plan_naming_the_rule(aws, tmp_path):
    root = filled_copy(tmp_path, aws, "staging", tags={"aws:owner": "me"})
    init(root, tmp_path / "data", backend=True)
    result = terraform("plan", "-input=false", cwd=root, data_dir=tmp_path / "data")
    assert result.returncode != 0
    assert "must not start with aws:" in " ".join((result.stdout + result.stderr).split())
