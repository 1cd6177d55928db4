"""Fake ``docker`` and ``aws`` executables for testing scripts/build_push_ecr.sh without Docker or AWS.

Installed by :func:`install` as two executables that call :func:`main`. Each call appends
``{"tool", "argv"}`` to the JSON-lines log ``FAKE_CLI_LOG`` and reads/writes a small registry state in
``FAKE_CLI_STATE`` (JSON), so a push really makes its digest visible to ``aws ecr describe-images``:

- ``account``: what ``aws sts get-caller-identity`` returns (``null``: no credentials);
- ``repositories``: ECR repositories that exist;
- ``images``: ``{"<repo>:<tag>": digest}`` in ECR (tags are immutable, as Terraform configures them);
- ``local``: ``{"<image>:<tag>": image id}`` built and loaded into the local engine;
- ``fail``: ``{"build": "<target>", "push": "<target>", "login": true}`` to inject failures.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
from pathlib import Path

DEFAULT_STATE = {
    "account": "111111111111",
    "repositories": [],
    "images": {},
    "local": {},
    "builders": [],
    "logged_in": [],
    "fail": {},
}


def install(bin_dir: Path, state_file: Path, log_file: Path, **state) -> dict[str, str]:
    """Write ``docker`` and ``aws`` into ``bin_dir``; return the env vars that wire them up."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("docker", "aws"):
        exe = bin_dir / tool
        exe.write_text(
            f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
            f"import fake_cli\nsys.exit(fake_cli.main({tool!r}))\n"
        )
        exe.chmod(0o755)
    state_file.write_text(json.dumps({**DEFAULT_STATE, **state}))
    return {"FAKE_CLI_STATE": str(state_file), "FAKE_CLI_LOG": str(log_file)}


def read_log(log_file: Path) -> list[list[str]]:
    """Every recorded call as ``[tool, *argv]``."""
    if not log_file.exists():
        return []
    return [[c["tool"], *c["argv"]] for c in map(json.loads, log_file.read_text().splitlines())]


def _opt(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _opts(argv: list[str], name: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == name]


def _fail(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


def _target_of(argv: list[str]) -> str:
    """The image a build makes: ``--target`` of docker/Dockerfile, checked to match ``APP``."""
    target, args = _opt(argv, "--target") or "", _opts(argv, "--build-arg")
    if _opt(argv, "--file") != "docker/Dockerfile" or f"APP={target}" not in args:
        raise SystemExit(
            _fail(f"fake docker: expected --file docker/Dockerfile --target T --build-arg APP=T: {argv}")
        )
    return target


def docker(argv: list[str], state: dict, stdin: str = "") -> int:
    match argv:
        case ["buildx", "version", *_]:
            print("github.com/docker/buildx v0.19.0 fake")
            return 0
        case ["buildx", "inspect", name, *_]:
            return 0 if name in state["builders"] else _fail(f"ERROR: no builder {name!r} found")
        case ["buildx", "create", *rest]:
            state["builders"].append(_opt(rest, "--name"))
            return 0
        case ["buildx", "build", *rest]:
            target = _target_of(rest)
            if state["fail"].get("build") == target:
                return _fail(
                    f'ERROR: failed to solve: process "/bin/sh -c uv sync" did not complete ({target})'
                )
            if "--load" not in rest or rest[-1] != ".":
                return _fail("fake docker: expected --load and the repository root as context")
            image_id = "sha256:" + hashlib.sha256(json.dumps(rest).encode()).hexdigest()
            for tag in _opts(rest, "--tag"):
                state["local"][tag] = image_id
            cache_to = _opt(rest, "--cache-to") or ""
            for part in cache_to.split(","):
                if part.startswith("dest="):
                    Path(part[5:]).mkdir(parents=True, exist_ok=True)
            return 0
        case ["login", *rest]:
            password = stdin.strip()
            if state["fail"].get("login") or not password or "--password-stdin" not in rest:
                return _fail("Error response from daemon: login attempt failed: 401 Unauthorized")
            state["logged_in"].append(rest[-1])
            return 0
        case ["push", ref]:
            registry, _, repo_tag = ref.partition("/")
            if state["fail"].get("push") == repo_tag.split(":")[0].rsplit("-", 1)[-1]:
                return _fail(f"error: failed to push {ref}: connection reset by peer")
            if registry not in state["logged_in"]:
                return _fail(f"denied: not logged in to {registry}")
            if ref not in state["local"]:
                return _fail(f"An image does not exist locally with the tag: {ref}")
            digest = "sha256:" + hashlib.sha256(state["local"][ref].encode()).hexdigest()
            if state["images"].get(repo_tag, digest) != digest:
                return _fail(
                    f"tag invalid: The image tag '{repo_tag}' already exists and cannot be overwritten"
                )
            state["images"][repo_tag] = digest
            return 0
    return _fail(f"fake docker: unsupported call {argv}")


def aws(argv: list[str], state: dict) -> int:
    region = _opt(argv, "--region")
    match argv:
        case ["sts", "get-caller-identity", *_]:
            if state["account"] is None:
                return _fail(
                    'Unable to locate credentials. You can configure credentials by running "aws configure".',
                    253,
                )
            print(state["account"])
            return 0
        case ["ecr", "describe-repositories", *rest]:
            name = _opt(rest, "--repository-names")
            if name not in state["repositories"]:
                return _fail(
                    "An error occurred (RepositoryNotFoundException) when calling the DescribeRepositories "
                    f"operation: The repository with name '{name}' does not exist",
                    254,
                )
            print(f"{state['account']}.dkr.ecr.{region}.amazonaws.com/{name}")
            return 0
        case ["ecr", "get-login-password", *_]:
            print("fake-ecr-password")
            return 0
        case ["ecr", "describe-images", *rest]:
            name = _opt(rest, "--repository-name")
            tag = (_opt(rest, "--image-ids") or "").removeprefix("imageTag=")
            digest = state["images"].get(f"{name}:{tag}")
            if digest is None:
                return _fail(
                    "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: "
                    f"The image with imageId {{imageTag:'{tag}'}} does not exist within the repository",
                    254,
                )
            print(digest)
            return 0
    return _fail(f"fake aws: unsupported call {argv}")


def main(tool: str) -> int:
    argv = sys.argv[1:]
    # `aws ecr get-login-password | docker login` runs both at once: docker reads the whole pipe
    # first (so the log order is the pipe's order), then each call holds the lock while it runs.
    stdin = sys.stdin.read() if argv[:1] == ["login"] else ""
    state_file = Path(os.environ["FAKE_CLI_STATE"])
    with open(f"{state_file}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(os.environ["FAKE_CLI_LOG"], "a") as log:
            log.write(json.dumps({"tool": tool, "argv": argv}) + "\n")
        state = json.loads(state_file.read_text())
        code = docker(argv, state, stdin) if tool == "docker" else aws(argv, state)
        state_file.write_text(json.dumps(state))
    return code
