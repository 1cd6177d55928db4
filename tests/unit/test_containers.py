"""The images run as a fixed non-root user that owns the SageMaker paths (read from the Dockerfiles)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit


def final_stage(app: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile's last stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (REPO_ROOT / "src" / app / "Dockerfile").read_text())
    instructions = [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


@pytest.mark.parametrize("app", ["training", "inference"])
def test_image_runs_as_a_numeric_non_root_user_that_owns_opt_ml(app):
    stage = final_stage(app)
    users = [(i, args.strip()) for i, (op, args) in enumerate(stage) if op == "USER"]
    assert users, f"{app}: the final stage has no USER (it would run as root)"
    index, user = users[-1]
    uid, _, gid = user.partition(":")
    # Numeric, so a platform can verify runAsNonRoot without reading /etc/passwd.
    assert uid.isdigit() and int(uid) >= 1000, f"{app}: USER {user}"
    assert gid == "" or (gid.isdigit() and int(gid) != 0), f"{app}: USER {user}"
    runs = " ".join(args for op, args in stage[:index] if op == "RUN")
    assert f"--uid {uid}" in runs, f"{app}: uid {uid} is not created in the final stage"
    assert re.search(r"chown -R \S+ /opt/ml", runs), f"{app}: /opt/ml is not owned by the job's user"
    # Nothing after USER runs as root again; the entry point comes after it.
    assert all(op not in ("RUN", "USER") for op, _ in stage[index + 1 :])
    assert any(op == "ENTRYPOINT" for op, _ in stage[index + 1 :])
