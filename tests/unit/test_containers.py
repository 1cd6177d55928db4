"""The images start as root, take the SageMaker paths and run the job as uid 10001 (read from the Dockerfiles)."""

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


def env_values(stage: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for op, args in stage:
        if op == "ENV":
            found |= {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', args)}
    return found


@pytest.mark.parametrize("app", ["training", "inference"])
def test_image_starts_as_root_through_the_entry_point_that_drops_to_the_app_user(app):
    """SageMaker mounts /opt/ml/... owned by root, so the image starts as root and the entry point
    (docker/entrypoint.sh, exercised in tests/integration/images/test_entrypoint.py) drops it."""
    stage = final_stage(app)
    assert all(op != "USER" for op, _ in stage), f"{app}: a USER would stop the entry point taking /opt/ml"
    runs = " ".join(args for op, args in stage if op == "RUN")
    assert "--uid 10001" in runs and "--gid 10001" in runs, f"{app}: uid 10001 is not created"
    assert re.search(r"chown -R \S+ /opt/ml", runs), f"{app}: /opt/ml is not owned by the job's user"
    copies = [args for op, args in stage if op == "COPY"]
    assert "--chmod=0755 docker/entrypoint.sh /usr/local/bin/mlp-entrypoint" in copies
    env = env_values(stage)
    assert env["MLP_RUN_AS_UID"] == "10001"  # the job refuses any other uid
    writes = {"training": {"model", "output", "output/data"}, "inference": {"processing/output", "output"}}
    assert set(env["MLP_WRITABLE_DIRS"].split()) == writes[app]
    entrypoint = [args for op, args in stage if op == "ENTRYPOINT"]
    assert entrypoint == [f'["mlp-entrypoint", "ml-{app}"]']


def test_the_processing_step_starts_the_same_entry_point():
    """A processing job's ContainerEntrypoint replaces the image's ENTRYPOINT."""
    import json

    definition = json.loads((REPO_ROOT / "pipelines" / "inference.json").read_text())
    step = definition["Steps"][0]["Arguments"]["AppSpecification"]
    assert step["ContainerEntrypoint"] == ["/usr/local/bin/mlp-entrypoint", "ml-inference"]
    outputs = definition["Steps"][0]["Arguments"]["ProcessingOutputConfig"]["Outputs"]
    assert [o["S3Output"]["LocalPath"] for o in outputs] == ["/opt/ml/processing/output"]
