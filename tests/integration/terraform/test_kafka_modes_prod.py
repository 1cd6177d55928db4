"""Kafka security modes in prod (the checks: test_kafka_modes.py; a file of its own so another
xdist worker plans these while the staging ones run). The two modes that grant a policy, each
wiring its own variables through prod's main.tf; "no SASL" passes the same variables, empty,
and is planned in staging."""

from __future__ import annotations

import pytest

from tests.integration.terraform.test_kafka_modes import MODES, check_mode
from tests.integration.terraform.test_terraform import needs_mirror

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@needs_mirror
@pytest.mark.parametrize("mode", [m for m in MODES if m != "none"])
def test_each_kafka_mode_reaches_the_job_and_grants_exactly_its_actions(
    aws, tmp_path_factory, tmp_path, mode
):
    check_mode(aws, tmp_path_factory, tmp_path, "prod", mode)
