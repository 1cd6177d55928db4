"""scripts/build_push_ecr.sh against fake docker/aws executables that record every call.

Each test runs the real script with real bash and git in a throw-away clone-like repository whose
tfvars are copies of the real ones, so the rewrite is checked on the files users edit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.emulators import fake_cli

pytestmark = pytest.mark.integration

SCRIPT = "scripts/build_push_ecr.sh"
COPIED = [
    SCRIPT,
    ".dockerignore",
    "terraform/staging/terraform.tfvars",
    "terraform/prod/terraform.tfvars",
    "terraform/staging/images.auto.tfvars.json",
    "terraform/prod/images.auto.tfvars.json",
    "src/training/pyproject.toml",
    "src/inference/pyproject.toml",
    "docker/Dockerfile",
]
ACCOUNT = "111111111111"
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
REPOS = {t: f"ml-platform-staging-{t}" for t in ("training", "inference")}


@dataclass
class Sandbox:
    root: Path
    env: dict[str, str]
    state_file: Path
    log_file: Path

    @property
    def tfvars(self) -> Path:
        return self.root / "terraform" / "staging" / "terraform.tfvars"

    @property
    def pins(self) -> Path:
        """images.auto.tfvars.json: the only file the script writes."""
        return self.root / "terraform" / "staging" / "images.auto.tfvars.json"

    def unchanged(self) -> bytes:
        return self.tfvars.read_bytes() + self.pins.read_bytes()

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", str(self.root / SCRIPT), *args],
            cwd=self.root / "src",  # the script finds the repository root itself
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def calls(self) -> list[list[str]]:
        return fake_cli.read_log(self.log_file)

    def state(self) -> dict:
        return json.loads(self.state_file.read_text())

    def head(self) -> str:
        return subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()


def make_sandbox(tmp_path: Path, **state) -> Sandbox:
    root = tmp_path / "repo"
    for rel in COPIED:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, root / rel)
    git_env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *cmd], cwd=root, env={**os.environ, **git_env}, check=True)
    # Only the fakes, git and coreutils on PATH: a real docker or aws can never be reached.
    bin_dir = tmp_path / "bin"
    wiring = fake_cli.install(
        bin_dir,
        tmp_path / "state.json",
        tmp_path / "calls.jsonl",
        **{"repositories": list(REPOS.values()), **state},
    )
    git_dir = str(Path(shutil.which("git")).parent)
    env = {
        "PATH": os.pathsep.join([str(bin_dir), git_dir, "/usr/bin", "/bin"]),
        "HOME": str(tmp_path),
        "BUILD_CACHE_DIR": str(tmp_path / "cache"),
        **git_env,
        **wiring,
    }
    return Sandbox(root, env, tmp_path / "state.json", tmp_path / "calls.jsonl")


@pytest.fixture
def sandbox(tmp_path) -> Sandbox:
    return make_sandbox(tmp_path)


def verbs(calls: list[list[str]]) -> list[str]:
    """A readable call sequence: tool, sub-command and the image/repository it concerns."""
    out = []
    for call in calls:
        tool, *argv = call
        if tool == "aws":
            what = next((a for a in argv if a.startswith("ml-platform-")), "")
            out.append(" ".join(filter(None, ["aws", argv[0], argv[1], what])))
        elif argv[:2] == ["buildx", "build"]:
            out.append(f"docker build {argv[argv.index('--target') + 1]}")
        elif argv[0] in ("push", "login"):
            out.append(f"docker {argv[0]} {argv[-1].split('/')[-1]}")
        else:
            out.append(f"docker {' '.join(argv[:2])}")
    return out


def changed_pins(before: str, after: str) -> dict[str, tuple[str, str]]:
    a, b = json.loads(before), json.loads(after)
    assert set(a) == set(b), "keys were added or removed"
    return {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def pinned(target: str, digest: str) -> str:
    return f"{REGISTRY}/{REPOS[target]}@{digest}"


def test_all_builds_pushes_and_pins_both_images_by_digest(sandbox):
    before, tfvars = sandbox.pins.read_text(), sandbox.tfvars.read_bytes()
    sha = sandbox.head()

    result = sandbox.run("all", "--environment", "staging")

    assert result.returncode == 0, result.stderr
    assert verbs(sandbox.calls()) == [
        "docker buildx version",
        "aws sts get-caller-identity",
        "aws ecr describe-repositories ml-platform-staging-training",
        "aws ecr describe-images ml-platform-staging-training",
        "aws ecr describe-repositories ml-platform-staging-inference",
        "aws ecr describe-images ml-platform-staging-inference",
        "docker buildx inspect",
        "docker buildx create",
        "aws ecr get-login-password",
        f"docker login {REGISTRY}",
        "docker build training",
        f"docker push ml-platform-staging-training:{sha}",
        "aws ecr describe-images ml-platform-staging-training",
        "docker build inference",
        f"docker push ml-platform-staging-inference:{sha}",
        "aws ecr describe-images ml-platform-staging-inference",
    ]
    build = next(c for c in sandbox.calls() if c[1:3] == ["buildx", "build"])
    assert build[build.index("--platform") : build.index("--platform") + 2] == ["--platform", "linux/amd64"]
    assert (
        f"{REGISTRY}/{REPOS['training']}:{sha}" in build and "--cache-from" in build and "--cache-to" in build
    )
    assert not any(":latest" in arg for arg in build), "never tagged latest"
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=sandbox.root, capture_output=True, text=True, check=True
    )
    assert f"REVISION={revision.stdout.strip()}" in build

    images = sandbox.state()["images"]
    after = sandbox.pins.read_text()
    changes = changed_pins(before, after)
    assert set(changes) == {"training_image_uri", "inference_image_uri"}, "nothing else is touched"
    for target in REPOS:
        assert changes[f"{target}_image_uri"][1] == pinned(target, images[f"{REPOS[target]}:{sha}"])
    assert after == json.dumps(json.loads(after), indent=2, sort_keys=True) + "\n", "stable, reviewable JSON"
    assert sandbox.tfvars.read_bytes() == tfvars, "terraform.tfvars is never edited"
    assert (
        "pushed" in result.stdout
        and pinned("inference", images[f"{REPOS['inference']}:{sha}"]) in result.stdout
    )
    assert (Path(sandbox.env["BUILD_CACHE_DIR"]) / "training").is_dir(), "layer cache kept for the next build"


def test_one_target_with_extra_tag_pins_only_its_line(sandbox):
    before = sandbox.pins.read_text()
    sha = sandbox.head()

    result = sandbox.run("training", "-e", "staging", "--tag", "v1.4.0")

    assert result.returncode == 0, result.stderr
    pushes = [v for v in verbs(sandbox.calls()) if v.startswith("docker push")]
    assert pushes == [
        f"docker push ml-platform-staging-training:{sha}",
        "docker push ml-platform-staging-training:v1.4.0",
    ]
    assert not any("inference" in v for v in verbs(sandbox.calls()))
    assert set(changed_pins(before, sandbox.pins.read_text())) == {"training_image_uri"}


def test_rerun_of_a_pushed_commit_reuses_the_images_and_leaves_tfvars_identical(sandbox):
    assert sandbox.run("all", "--environment", "staging").returncode == 0
    first = sandbox.unchanged()
    n_calls = len(sandbox.calls())

    result = sandbox.run("all", "--environment", "staging")

    assert result.returncode == 0, result.stderr
    again = verbs(sandbox.calls()[n_calls:])
    assert not [v for v in again if v.startswith(("docker build ", "docker push", "docker login"))], again
    assert sandbox.unchanged() == first
    assert "reused" in result.stdout


def test_dry_run_checks_and_prints_but_changes_nothing(sandbox):
    before = sandbox.unchanged()

    result = sandbox.run("all", "--environment", "staging", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert sandbox.unchanged() == before
    done = verbs(sandbox.calls())
    assert not [
        v
        for v in done
        if v.startswith(("docker build ", "docker push", "docker login", "docker buildx create"))
    ]
    assert "aws sts get-caller-identity" in done, "the read-only checks still run"
    assert "dry-run: docker buildx build" in result.stderr and "dry-run: docker push" in result.stderr
    assert '+  "training_image_uri"' in result.stderr, "the pin it would write is shown"
    assert sandbox.state()["images"] == {}
    assert sorted(sandbox.tfvars.parent.iterdir()) == [sandbox.pins, sandbox.tfvars], "no temp file left"


def test_no_push_builds_locally_without_aws_and_leaves_tfvars(sandbox):
    before = sandbox.unchanged()

    result = sandbox.run("inference", "--environment", "staging", "--no-push")

    assert result.returncode == 0, result.stderr
    assert [c[0] for c in sandbox.calls()].count("aws") == 0
    assert f"ml-platform-staging-inference:{sandbox.head()}" in sandbox.state()["local"]
    assert sandbox.unchanged() == before


def test_dirty_tree_is_refused_unless_allowed(sandbox):
    before = sandbox.unchanged()
    (sandbox.root / "src" / "training" / "pyproject.toml").write_text("# local edit\n", encoding="utf-8")

    refused = sandbox.run("all", "--environment", "staging")

    assert refused.returncode == 1
    assert "uncommitted changes" in refused.stderr and "--allow-dirty" in refused.stderr
    assert "src/training/pyproject.toml" in refused.stderr
    assert not [v for v in verbs(sandbox.calls()) if v.startswith(("docker build ", "docker push"))]
    assert sandbox.unchanged() == before

    allowed = sandbox.run("training", "--environment", "staging", "--allow-dirty")
    assert allowed.returncode == 0, allowed.stderr
    assert re.search(
        rf"push ml-platform-staging-training:{sandbox.head()}-dirty-\d{{14}}",
        "\n".join(verbs(sandbox.calls())),
    )


def test_written_pins_do_not_count_as_dirty(sandbox):
    assert sandbox.run("training", "--environment", "staging").returncode == 0
    # The rewritten pins are not committed yet; inference can still be built from this commit.
    result = sandbox.run("inference", "--environment", "staging")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("state", "args", "message"),
    [
        pytest.param(
            {"repositories": [REPOS["training"]]},
            ["all"],
            "ECR repository ml-platform-staging-inference does not exist",
            id="missing-repository",
        ),
        pytest.param(
            {"fail": {"build": "inference"}},
            ["all"],
            "docker buildx build of inference failed",
            id="failed-build",
        ),
        pytest.param({"fail": {"push": "training"}}, ["all"], "docker push of", id="failed-push"),
        pytest.param({"fail": {"login": True}}, ["all"], "docker login to", id="failed-login"),
        pytest.param({"account": None}, ["all"], "no AWS identity", id="no-credentials"),
        pytest.param(
            {"account": "222222222222"},
            ["all"],
            "credentials are for account 222222222222",
            id="wrong-account",
        ),
    ],
)
def test_failures_exit_non_zero_and_leave_tfvars_untouched(tmp_path, state, args, message):
    sandbox = make_sandbox(tmp_path, **state)
    before = sandbox.unchanged()

    result = sandbox.run(*args, "--environment", "staging")

    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr
    assert "fix:" in result.stderr
    assert sandbox.unchanged() == before
    assert sorted(sandbox.tfvars.parent.iterdir()) == [sandbox.pins, sandbox.tfvars]


def test_missing_repository_is_never_created_and_nothing_is_built(tmp_path):
    sandbox = make_sandbox(tmp_path, repositories=[])
    result = sandbox.run("training", "--environment", "staging")
    assert result.returncode == 1
    assert "terraform apply" in result.stderr and "never creates" in result.stderr
    assert all(v.split()[:3] != ["aws", "ecr", "create-repository"] for v in verbs(sandbox.calls()))
    assert not [v for v in verbs(sandbox.calls()) if v.startswith("docker build ")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["all"], "--environment is required"),
        (["all", "--environment", "dev"], "unknown environment 'dev': use staging or prod"),
        (["trainer", "--environment", "staging"], "unknown argument 'trainer'"),
        (["all", "--environment", "staging", "--tag", "latest"], "--tag latest is refused"),
        (["all", "--environment", "staging", "--tag", "-x"], "is not a valid image tag"),
    ],
)
def test_usage_errors_exit_2_before_any_call(sandbox, args, message):
    result = sandbox.run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert sandbox.calls() == []


def test_missing_tools_are_named(sandbox):
    (Path(sandbox.env["FAKE_CLI_LOG"]).parent / "bin" / "aws").unlink()
    result = sandbox.run("all", "--environment", "staging")
    assert result.returncode == 1
    assert "aws (AWS CLI v2) is not on PATH" in result.stderr


def test_help_names_every_flag(sandbox):
    result = sandbox.run("--help")
    assert result.returncode == 0
    for flag in (
        "--environment",
        "--tag",
        "--dry-run",
        "--no-push",
        "--allow-dirty",
        "training|inference|all",
    ):
        assert flag in result.stdout


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text + 'inference_image_uri = "x.dkr.ecr.us-east-1.amazonaws.com/y:latest"\n',
            "sets inference_image_uri: the image pin lives only in terraform/staging/images.auto.tfvars.json",
        ),
        (
            lambda text: text.replace('environment  = "staging"', 'environment  = "prod"'),
            'sets environment = "prod", not "staging"',
        ),
    ],
    ids=["image-in-tfvars", "environment-mismatch"],
)
def test_tfvars_problems_are_found_before_anything_is_built(sandbox, edit, message):
    sandbox.tfvars.write_text(edit(sandbox.tfvars.read_text()))
    before = sandbox.unchanged()

    result = sandbox.run("all", "--environment", "staging", "--allow-dirty")

    assert result.returncode == 1
    assert message in result.stderr and "fix:" in result.stderr
    assert not [c for c in sandbox.calls() if c[0] == "aws" or c[1:3] == ["buildx", "build"]]
    assert sandbox.unchanged() == before
