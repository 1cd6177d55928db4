"""built_once: one build per run, reused; a failed build is not reused."""

from __future__ import annotations

import pytest

from tests.conftest import built_once

pytestmark = pytest.mark.unit


def test_the_folder_is_built_once_and_reused(tmp_path_factory):
    calls = []

    def build(folder):
        calls.append(folder)
        (folder / "made").write_text("once")

    first = built_once(tmp_path_factory, "unit-reused", build)
    again = built_once(tmp_path_factory, "unit-reused", build)
    assert first == again and len(calls) == 1
    assert (again / "made").read_text() == "once"


def test_a_failed_build_is_built_again_from_empty(tmp_path_factory):
    def fail(folder):
        (folder / "half").write_text("written before the failure")
        raise RuntimeError("build failed")

    with pytest.raises(RuntimeError, match="build failed"):
        built_once(tmp_path_factory, "unit-retried", fail)
    folder = built_once(tmp_path_factory, "unit-retried", lambda f: (f / "made").write_text("second"))
    assert sorted(p.name for p in folder.iterdir()) == ["made"]  # nothing of the failed build
