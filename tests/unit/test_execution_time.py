"""The execution start time the pipeline passes, in each rendering it could take."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ml_inference.settings import execution_time
from ml_platform.errors import ConfigError

pytestmark = pytest.mark.unit

NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)  # 1767225600 Unix seconds, worked by hand


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T01:00:00+01:00",
        "2026-01-01 00:00:00.000000+00:00",
        "2026-01-01T00:00:00",
        "1767225600",
        "1767225600000",
    ],
)
def test_every_rendering_is_the_same_instant(text):
    assert execution_time(text) == NEW_YEAR


def test_empty_means_unset_and_garbage_is_refused():
    assert execution_time("") is None
    with pytest.raises(ConfigError, match="is not an ISO-8601 timestamp"):
        execution_time("Thursday morning")
