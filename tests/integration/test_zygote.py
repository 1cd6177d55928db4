"""tests/zygote.py gives a command what subprocess.run gives it, and only preloads libraries."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests import zygote

pytestmark = pytest.mark.integration

PROBE = """
import os, sys
print("argv", sys.argv[1:])
print("cwd", os.getcwd())
print("setting", os.environ.get("PROBE_SETTING"))
print("path0", sys.path[0])
print("sklearn preloaded", "sklearn" in sys.modules)
print("to stderr", file=sys.stderr)
if sys.argv[1] == "raise":
    raise ValueError("the probe failed")
sys.exit(int(sys.argv[1]))
"""


def both(tmp_path, *args: str):
    """The probe command run by subprocess.run and by the zygote."""
    (tmp_path / "probe.py").write_text(PROBE)
    cmd = [sys.executable, "-m", "probe", *args]
    env = {**os.environ, "PROBE_SETTING": "from the test"}
    plain = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
    forked = zygote.run(cmd, env=env, cwd=tmp_path)
    return plain, forked


@pytest.mark.parametrize("code", ["0", "3"])
def test_a_forked_command_sees_and_returns_what_a_fresh_one_does(tmp_path, code):
    plain, forked = both(tmp_path, code)
    assert zygote._get() is not None, "the zygote should be usable on this machine"
    assert forked.returncode == plain.returncode == int(code)
    assert forked.stderr == plain.stderr == "to stderr\n"
    lines = [f"argv ['{code}']", f"cwd {tmp_path}", "setting from the test", f"path0 {tmp_path}"]
    assert plain.stdout.splitlines() == [*lines, "sklearn preloaded False"]
    assert forked.stdout.splitlines() == [*lines, "sklearn preloaded True"]  # the one difference


def test_an_uncaught_exception_prints_its_traceback_and_exits_1(tmp_path):
    plain, forked = both(tmp_path, "raise")
    assert forked.returncode == plain.returncode == 1
    assert forked.stderr.splitlines()[0] == "to stderr"
    assert "Traceback (most recent call last):" in forked.stderr
    assert forked.stderr.splitlines()[-1] == plain.stderr.splitlines()[-1] == "ValueError: the probe failed"


def test_python_flags_and_other_executables_run_as_plain_subprocesses(tmp_path):
    (tmp_path / "probe.py").write_text('import sys\nprint("sklearn" in sys.modules)\n')
    flagged = zygote.run([sys.executable, "-X", "utf8", "-m", "probe"], cwd=tmp_path)
    assert flagged.stdout == "False\n"  # a fresh interpreter: nothing preloaded
    other = zygote.run(["/bin/sh", "-c", "echo from sh; exit 4"])
    assert (other.returncode, other.stdout) == (4, "from sh\n")


def test_a_command_past_its_timeout_is_killed(tmp_path):
    (tmp_path / "probe.py").write_text("import time\ntime.sleep(60)\n")
    with pytest.raises(subprocess.TimeoutExpired):
        zygote.run([sys.executable, "-m", "probe"], cwd=tmp_path, timeout=2)
    (tmp_path / "probe.py").write_text('print("next")\n')
    assert zygote.run([sys.executable, "-m", "probe"], cwd=tmp_path).stdout == "next\n"  # still serving
