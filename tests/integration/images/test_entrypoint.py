"""The images' entry point, run as SageMaker runs it: as root, against root-owned /opt/ml mounts.

docker/entrypoint.sh is the file both images (docker/Dockerfile) copy to /usr/local/bin/mlp-entrypoint (see
tests/unit/test_containers.py). Here it runs for real: started as root, with the folders laid out
as SageMaker mounts them (owned by root, mode 0755), it must hand them to uid 10001 and run the
job as 10001; the job must refuse to run as root when started without it.

uid 10001 may not be able to enter the checkout (a clone under a 0700 folder, as mktemp makes
them): what it runs (the entry point, the job's packages) is staged into a world-readable
folder first, so the tests do not depend on where the repository lies.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

ENTRYPOINT = REPO_ROOT / "docker" / "entrypoint.sh"
BIN = Path(sys.executable).parent
APP_UID = 10001
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv (util-linux), as in the images; CI machines run the tests as root",
)

# What the job writes, per image (MLP_WRITABLE_DIRS of the Dockerfiles), and a folder it only reads.
WRITES = {"training": "model output output/data", "inference": "processing/output output"}


def world_executable(path: Path) -> bool:
    """Whether another user can run ``path``: every folder above it searchable, the file executable."""
    path = path.resolve()
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])


def app_interpreter() -> Path:
    """An interpreter of this minor version that uid 10001 may run (this one may sit under a
    folder only root can enter; the system one then runs the staged packages)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(sys.executable), Path("/usr/bin") / version, Path("/usr/local/bin") / version):
        if candidate.exists() and world_executable(candidate):
            return candidate
    pytest.fail(f"no {version} interpreter that uid {APP_UID} may run (checked {sys.executable}, /usr/bin)")


# Prints the files of every package ``code`` imports from outside the standard library.
IMPORTED = """
import json, os, sys, sysconfig
before = set(sys.modules)
try:
    exec(os.environ["MLP_TEST_CODE"])
except SystemExit:
    pass
paths = sysconfig.get_paths()
stdlib, site = (paths["stdlib"], paths["platstdlib"]), (paths["purelib"], paths["platlib"])
found = set()
for name in {m.split(".")[0] for m in set(sys.modules) - before}:
    spec = getattr(sys.modules.get(name), "__spec__", None)
    places = list(spec.submodule_search_locations or []) if spec else []
    places += [spec.origin] if spec and spec.origin and not places else []
    found |= {p for p in places if os.path.exists(p) and (p.startswith(site) or not p.startswith(stdlib))}
print(json.dumps(sorted(found)))
"""


def stage(code: str, into: Path) -> Path:
    """Copy the packages ``code`` imports (found by running it once, as root) into ``into``."""
    import json

    env = {**os.environ, "MLP_TEST_CODE": code, "MLP_SAGEMAKER_ROOT": str(into / "probe-root")}
    env.pop("MLP_RUN_AS_UID", None)
    found = subprocess.run(
        [sys.executable, "-c", IMPORTED], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    site = into / "site"
    for place in map(Path, json.loads(found.stdout.strip().splitlines()[-1])):
        copy = shutil.copytree if place.is_dir() else shutil.copy2
        copy(place, site / place.name)
    for path in [into, *into.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else path.stat().st_mode | 0o444)
    return site


def python_running(code: str, site: Path | None = None) -> list[str]:
    """A command line running ``code`` as uid 10001 can: stdlib only, or with ``site`` (from
    ``stage``) on the path."""
    if site is None:
        return [str(app_interpreter()), "-c", code]
    return [
        str(app_interpreter()),
        "-I",
        "-c",
        f"import sys; sys.path.insert(0, {str(site)!r}); exec({code!r})",
    ]


@pytest.fixture
def sagemaker_root() -> Iterator[Path]:
    """/opt/ml as SageMaker mounts it: root-owned folders, outside pytest's root-only tmp folder."""
    base = Path(tempfile.mkdtemp(prefix="mlp-entrypoint-", dir="/tmp"))
    base.chmod(0o755)
    root = base / "opt-ml"
    for folder in ("input/config", "model", "output", "processing/output", "config"):
        (root / folder).mkdir(parents=True)
    for path in [root, *root.rglob("*")]:
        os.chown(path, 0, 0)
        path.chmod(0o755)
    yield root
    shutil.rmtree(base)


@pytest.fixture
def staged(tmp_path_factory) -> Iterator[Path]:
    """A world-readable folder holding a copy of the entry point (mode 0755), for what uid 10001 runs."""
    base = Path(tempfile.mkdtemp(prefix="mlp-staged-", dir="/tmp"))
    base.chmod(0o755)
    shutil.copy2(ENTRYPOINT, base / "entrypoint.sh")
    (base / "entrypoint.sh").chmod(0o755)
    yield base
    shutil.rmtree(base)


def start(root: Path, *command: str, writes: str, entrypoint: bool = True) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "MLP_SAGEMAKER_ROOT": str(root),
        "MLP_WRITABLE_DIRS": writes,
        "MLP_RUN_AS_UID": str(APP_UID),
        "MLP_STATE_DIR": str(root / "state"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    argv = [str(ENTRYPOINT), *command] if entrypoint else list(command)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)


PROBE = """
import os, sys
from pathlib import Path
root = Path(os.environ["MLP_SAGEMAKER_ROOT"])
for folder in sys.argv[1:]:
    (root / folder / "probe.txt").write_text("written")
print(os.getuid(), os.getgid(), os.getgroups(), os.environ["HOME"])
"""


@needs_root
@pytest.mark.parametrize("image", ["training", "inference"])
def test_started_as_root_the_job_runs_as_10001_and_writes_every_mounted_output(sagemaker_root, image):
    folders = WRITES[image].split()
    result = start(sagemaker_root, *python_running(PROBE), *folders, writes=WRITES[image])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(APP_UID), str(APP_UID), "[]", "/home/app"]
    for folder in folders:
        written = sagemaker_root / folder / "probe.txt"
        assert written.read_text() == "written"
        assert written.stat().st_uid == APP_UID
    # The input folders stay root's: the job only reads them.
    assert (sagemaker_root / "input" / "config").stat().st_uid == 0


@needs_root
def test_the_real_job_behind_the_entry_point_writes_its_exit_message_as_10001(sagemaker_root, staged):
    """ml-inference with no model fails as a user error, and SageMaker's ExitMessage file is
    written by the job (uid 10001) into the mounted, root-owned output folder."""
    job = "import sys, runpy; sys.argv = ['ml-inference']; runpy.run_module('ml_inference', run_name='__main__')"
    result = start(sagemaker_root, *python_running(job, stage(job, staged)), writes=WRITES["inference"])
    assert result.returncode == 1, result.stderr
    message = sagemaker_root / "output" / "message"
    assert message.read_text().startswith("ConfigError: model is not set")
    assert message.stat().st_uid == APP_UID
    assert stat.S_IMODE((sagemaker_root / "output").stat().st_mode) & stat.S_IWUSR


@needs_root
def test_without_the_entry_point_the_job_refuses_to_run_as_root(sagemaker_root):
    result = start(sagemaker_root, str(BIN / "ml-inference"), writes="", entrypoint=False)
    assert result.returncode == 1
    assert "the job runs as uid 0, not 10001 (MLP_RUN_AS_UID)" in result.stderr
    assert "mlp-entrypoint" in result.stderr


def test_started_as_the_app_user_the_entry_point_runs_the_command_unchanged(staged):
    """Where the platform already runs the image as non-root, nothing is chowned or switched."""
    as_app = ["setpriv", f"--reuid={APP_UID}", f"--regid={APP_UID}", "--clear-groups"]
    command = as_app if os.geteuid() == 0 else []
    result = subprocess.run(
        [*command, str(staged / "entrypoint.sh"), "/bin/sh", "-c", "id -u"],
        env={"PATH": "/usr/bin:/bin", "MLP_WRITABLE_DIRS": "output", "MLP_SAGEMAKER_ROOT": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (str(APP_UID) if command else str(os.geteuid()))
