"""One AWS provider process per test process, which every terraform command of that process uses.

A terraform command starts the provider 2-10 times (plan: three; `terraform test`: one or more
per run block), and each start builds and sends the provider's 13 MB schema: about half of a
plan's CPU. In the tests, the provider runs once per test process in Terraform's debug mode
(`terraform-provider-aws -debug`, the mode provider developers debug with) and each command
attaches to it through ``TF_REATTACH_PROVIDERS``. Measured on this machine: the Terraform
tests took 138 CPU-s instead of 207.

The binary, the protocol and the configuration are the same; what differs:
- the provider keeps running between commands, and each command configures it again;
- its environment is the one it started with. Every test's provider settings are explicit
  (the moto override, mock_provider, the IAM test's provider block), so none depends on it;
- it starts without ``AWS_CA_BUNDLE``: configured a second time in one process, the provider
  fails on a custom CA bundle ("unable to add custom RootCAs HTTPClient"), and moto is plain
  HTTP.

``MLP_TEST_TF_OWN_PROVIDERS=1`` lets each command start its own providers, as a user's runs
do; test_terraform.py has a test that a plan is the same either way.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REATTACH = re.compile(r"TF_REATTACH_PROVIDERS='(.+?)'")
# The debug mode logs every call at trace level by default (11 MB for 7 commands).
QUIET = {
    name: "off" for name in ("TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_MUX")
}


class AttachedProvider:
    def __init__(self, binary: Path) -> None:
        self.binary = binary
        self.proc: subprocess.Popen | None = None
        self.folder: Path | None = None
        self.reattach = ""
        self.lock = threading.Lock()  # one command at a time: each configures the provider
        atexit.register(self.stop)

    def start(self) -> str:
        """The TF_REATTACH_PROVIDERS value of the running provider, started (again) if need be."""
        if self.proc is not None and self.proc.poll() is None:
            return self.reattach
        self.stop()
        self.folder = Path(tempfile.mkdtemp(prefix="tf-provider-"))
        log = self.folder / "provider.log"
        env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"} | QUIET
        env["GOGC"] = os.environ.get("GOGC", "400")
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [str(self.binary), "-debug"], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.folder
            )
        deadline = time.monotonic() + 60
        while (match := REATTACH.search(log.read_text(errors="replace"))) is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.binary} -debug did not start: {log.read_text()[-2000:]}")
            time.sleep(0.02)
        self.reattach = match.group(1)
        return self.reattach

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.proc = self.folder = None


def provider_binary(mirror: Path | None) -> Path | None:
    """The hashicorp/aws provider executable in the filesystem mirror, or None."""
    binaries = (
        sorted(mirror.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"))
        if mirror
        else []
    )
    return binaries[-1] if binaries else None


def attached(mirror: Path | None) -> AttachedProvider | None:
    """This process's provider from the mirror, or None (no mirror, or MLP_TEST_TF_OWN_PROVIDERS=1)."""
    binary = provider_binary(mirror)
    if os.environ.get("MLP_TEST_TF_OWN_PROVIDERS") == "1" or binary is None:
        return None
    if "provider" not in _STARTED:
        _STARTED["provider"] = AttachedProvider(binary)
    return _STARTED["provider"]


_STARTED: dict[str, AttachedProvider] = {}  # this process's provider, once created
