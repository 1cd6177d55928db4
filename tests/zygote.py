"""`python -m <module> ...` for tests, from a forked interpreter that has imported the heavy libraries.

A test that runs a job as a command pays ~2 CPU-seconds per process importing MLflow,
scikit-learn, skl2onnx and onnxruntime before its first line runs; on a 2-core machine that was
a fifth of the suite. ``run`` gives the same contract as ``subprocess.run(capture_output=True,
text=True)`` for ``[sys.executable, "-m", module, *args]``: the command's own entry point
(``runpy``, as ``-m`` does) in a separate process, with its argv, environment, working
directory, stdout, stderr and exit code (an uncaught exception prints its traceback and exits 1).
What differs is only that the third-party libraries in PRELOAD are already imported, as they
would be after the job's own imports; our packages are imported fresh in each command.

Anything else runs as a plain subprocess: another executable, Python flags (``-X importtime``
checks what a fresh job imports), a different PYTHONPATH or other PYTHON* setting, a zygote
that has threads after its imports (forking would copy their locks), or
``MLP_TEST_NO_ZYGOTE=1``. One zygote per test process, started on first use.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path

PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "sqlalchemy",
    "alembic",
    "mlflow",
    "mlflow.pyfunc",
    "mlflow.tracking",
    "mlflow.store.tracking.sqlalchemy_store",
    "sklearn.ensemble",
    "sklearn.metrics",
    "sklearn.calibration",
    "sklearn.inspection",
    "matplotlib.pyplot",
    "skl2onnx",
    "onnx",
    "onnxruntime",
    "confluent_kafka",
    "boto3",
)
# Set before the imports: what the jobs set (onnxruntime's and MLflow's telemetry off, a headless
# plot backend), and no threads at import (OpenBLAS's workers; jemalloc's background thread in
# pyarrow), so that the zygote can fork. Commands then run BLAS on one thread: slower at most.
PRELOAD_ENV = {
    "ORT_DISABLE_TELEMETRY": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MPLBACKEND": "Agg",
    "OPENBLAS_NUM_THREADS": "1",
    "JE_ARROW_MALLOC_CONF": "background_thread:false",
}


def _python_settings(env) -> dict[str, str]:
    """The PYTHON* variables: they shape an interpreter at start-up, so a fork can't take new ones."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON")}


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _child(request: dict) -> None:
    """In the forked process: become the command, run it as ``python -m`` would, exit."""
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, path, mode in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY),
                               (2, request["stderr"], os.O_WRONLY)):  # fmt: skip
            os.dup2(os.open(path, mode), fd)
        sys.argv = [request["module"], *request["args"]]
        sys.path[0] = request["cwd"]  # as `python -m` puts the working directory first
        try:
            runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except BaseException:
            traceback.print_exc()
            code = 1
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def serve() -> None:
    """The zygote: import PRELOAD, report its thread count, then fork one child per request line."""
    for module in PRELOAD:
        importlib.import_module(module)
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    protocol.write(json.dumps({"threads": len(os.listdir("/proc/self/task"))}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        protocol.write(json.dumps({"pid": pid}) + "\n")
        _, status = os.waitpid(pid, 0)
        protocol.write(json.dumps({"code": os.waitstatus_to_exitcode(status)}) + "\n")


class Zygote:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import tests.zygote as z; z.serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **PRELOAD_ENV},
            cwd=Path(__file__).resolve().parents[1],
            text=True,
        )
        self.python_settings = _python_settings(os.environ)
        self.usable = self._read(120).get("threads") == 1
        self.lock = threading.Lock()

    def _read(self, timeout: float | None) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the test zygote exited")
        return json.loads(line)

    def run(self, module: str, args: list[str], env: dict[str, str], cwd: str, timeout: float | None):
        with self.lock, tempfile.TemporaryDirectory(prefix="zygote-") as tmp:
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            out.touch(), err.touch()
            request = {
                "module": module,
                "args": args,
                "env": env,
                "cwd": cwd,
                "stdout": str(out),
                "stderr": str(err),
            }
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            pid = self._read(60)["pid"]
            try:
                code = self._read(timeout)["code"]
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):  # it may have just ended
                    os.kill(pid, signal.SIGKILL)
                self._read(60)
                raise subprocess.TimeoutExpired([module, *args], timeout) from None
            return code, out.read_text(errors="replace"), err.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


_started: dict[str, Zygote] = {}  # this process's zygote, once started


def _get() -> Zygote | None:
    if os.environ.get("MLP_TEST_NO_ZYGOTE") == "1":
        return None
    if "zygote" not in _started:
        _started["zygote"] = Zygote()
        atexit.register(_started["zygote"].stop)
    return _started["zygote"] if _started["zygote"].usable else None


def run(
    cmd: list,
    *,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess:
    """``subprocess.run(cmd, capture_output=True, text=True, check=False)``, forked from the zygote
    when ``cmd`` is ``[sys.executable, "-m", module, *args]`` (see the module docstring)."""
    cmd = [str(c) for c in cmd]
    env = dict(os.environ if env is None else env)
    zygote = _get() if len(cmd) >= 3 and cmd[0] == sys.executable and cmd[1] == "-m" else None
    if zygote is None or _python_settings(env) != zygote.python_settings:
        return subprocess.run(
            cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    code, stdout, stderr = zygote.run(cmd[2], cmd[3:], env, str(Path(cwd or os.getcwd()).resolve()), timeout)
    return subprocess.CompletedProcess(cmd, code, stdout, stderr)
