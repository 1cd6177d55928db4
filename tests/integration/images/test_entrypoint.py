"""The images' entry point, run as SageMaker runs it: as root, against root-owned /opt/ml mounts.

docker/entrypoint.sh is the file both images (docker/Dockerfile) copy to /usr/local/bin/mlp-entrypoint (see
tests/unit/test_containers.py). Here it runs for real: started as root, with the folders laid out
as SageMaker mounts them (owned by root, mode 0755), it must hand them to uid 10001 and run the
job as 10001; the job must refuse to run as root when started without it.
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


def python_running(code: str) -> list[str]:
    """A command line running ``code`` with this environment's packages, as uid 10001 can.

    The test machine's interpreter may sit under /root (mode 0700), which the app user cannot
    enter; the system interpreter of the same minor version then runs the same site-packages."""
    site = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(sys.executable), Path("/usr/bin") / version, Path("/usr/local/bin") / version):
        if candidate.exists() and world_executable(candidate):
            return [str(candidate), "-c", f"import site; site.addsitedir({site!r}); exec({code!r})"]
    pytest.fail(f"no {version} interpreter that uid {APP_UID} may run (checked {sys.executable}, /usr/bin)")


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
def test_the_real_job_behind_the_entry_point_writes_its_exit_message_as_10001(sagemaker_root):
    """ml-inference with no model fails as a user error, and SageMaker's ExitMessage file is
    written by the job (uid 10001) into the mounted, root-owned output folder."""
    job = "import sys, runpy; sys.argv = ['ml-inference']; runpy.run_module('ml_inference', run_name='__main__')"
    result = start(sagemaker_root, *python_running(job), writes=WRITES["inference"])
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


def test_started_as_the_app_user_the_entry_point_runs_the_command_unchanged(tmp_path):
    """Where the platform already runs the image as non-root, nothing is chowned or switched."""
    as_app = ["setpriv", f"--reuid={APP_UID}", f"--regid={APP_UID}", "--clear-groups"]
    command = as_app if os.geteuid() == 0 else []
    result = subprocess.run(
        [*command, str(ENTRYPOINT), "/bin/sh", "-c", "id -u"],
        env={"PATH": "/usr/bin:/bin", "MLP_WRITABLE_DIRS": "output", "MLP_SAGEMAKER_ROOT": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (str(APP_UID) if command else str(os.geteuid()))
