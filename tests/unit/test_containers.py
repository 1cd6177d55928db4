"""The images start as root, take the SageMaker paths and run the job as uid 10001 (read from the Dockerfiles)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit


def stages() -> dict[str, list[tuple[str, str]]]:
    """docker/Dockerfile's stages by name: (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (REPO_ROOT / "docker" / "Dockerfile").read_text())
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        op, _, args = line.strip().partition(" ")
        if op.upper() == "FROM":
            current = found.setdefault(args.split(" AS ")[-1] if " AS " in args else args, [])
        current.append((op.upper(), args))
    return found


def final_stage(app: str) -> list[tuple[str, str]]:
    """The image of ``app``: its target stage on top of the stage it starts FROM."""
    all_stages = stages()
    target = all_stages[app]
    base = target[0][1].split()[0]
    return all_stages.get(base, []) + target


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


def test_the_promote_step_starts_the_training_image_through_the_entry_point():
    """PromoteModel runs in the training image: its ContainerEntrypoint replaces the image's
    ENTRYPOINT, so it must start with the same script and then the training job."""
    import json

    definition = json.loads((REPO_ROOT / "pipelines" / "training.json").read_text())
    promote = next(s for s in definition["Steps"] if s["Name"] == "PromoteModel")
    command = promote["Arguments"]["AppSpecification"]["ContainerEntrypoint"]
    assert command == ["/usr/local/bin/mlp-entrypoint", "ml-training", "promote"]
    assert [a for op, a in final_stage("training") if op == "ENTRYPOINT"] == [
        '["mlp-entrypoint", "ml-training"]'
    ]
    # What the step writes on failure (output/message) is a folder the entry point hands over.
    assert "output" in env_values(final_stage("training"))["MLP_WRITABLE_DIRS"].split()
