"""The context every bad-input case runs in (test_catalogue.py and test_catalogue_terraform.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ml_platform_local.broker import LocalKafkaBroker
from tests import zygote
from tests.conftest import REPO_ROOT
from tests.integration.conftest import LocalPlatform


@dataclass
class Ctx:
    tmp: Path
    platform: LocalPlatform
    champion: Path
    broker: LocalKafkaBroker
    terraform_root: Path | None

    def run(self, *cmd: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None):
        done = zygote.run(list(cmd), env=env, cwd=cwd or REPO_ROOT, timeout=300)
        output = (done.stdout + done.stderr).replace(str(self.tmp), "<tmp>").replace(str(REPO_ROOT), "<repo>")
        return done.returncode, output


@pytest.fixture(scope="module")
def terraform_root(moto_endpoint, tmp_path_factory) -> Path | None:
    from tests.integration.terraform.test_terraform import MIRROR, TERRAFORM, filled_copy, init

    if TERRAFORM is None or MIRROR is None:
        return None
    tmp = tmp_path_factory.mktemp("catalogue-terraform")
    root = filled_copy(tmp, moto_endpoint, "staging")
    init(root, root / "tf-data", backend=True)
    return root


@pytest.fixture
def ctx(local_platform, champion, kafka_broker, terraform_root, tmp_path) -> Ctx:
    return Ctx(tmp_path, local_platform, champion, kafka_broker, terraform_root)
