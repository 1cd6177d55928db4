"""The MLflow UI a person opens with `make mlflow-ui`, driven by a headless Chromium.

Chromium and its chromedriver come from Debian (``apt-get install chromium chromium-driver``);
.ci/run installs them, and under CI a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.conftest import REPO_ROOT
from tests.processes import stop_group, wait_http

pytestmark = pytest.mark.integration
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MISSING = "Chromium is not installed: apt-get install chromium chromium-driver (.ci/run does)"


@pytest.fixture
def browser_paths() -> tuple[str, str]:
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING}; CI must run this test")
        pytest.skip(MISSING)
    return CHROMIUM, CHROMEDRIVER


@contextmanager
def chromium(paths: tuple[str, str]) -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1600,1000")
    driver = webdriver.Chrome(service=Service(paths[1]), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def page_text(driver, *needles: str, timeout: float = 90) -> str:
    """The page's text once it shows every needle (the UI renders after its API calls)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def body(d) -> str:
        return d.find_element(By.TAG_NAME, "body").text

    try:
        WebDriverWait(driver, timeout).until(lambda d: all(n in body(d) for n in needles))
    except TimeoutException:
        pytest.fail(f"{driver.current_url} never showed {needles}; it shows:\n{body(driver)[:3000]}")
    return body(driver)


def printed_link(log: Path, name: str, proc: subprocess.Popen, timeout: float = 60) -> tuple[str, str]:
    """(UI address, the experiment's link) as mlflow_ui.py prints them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        lines = log.read_text().splitlines()
        ui = [line.split()[2] for line in lines if line.startswith("MLflow UI: ")]
        link = [line.split(": ", 1)[1] for line in lines if line.strip().startswith(f"{name}: ")]
        if ui and link:
            return ui[0], link[0]
        time.sleep(0.3)
    raise AssertionError(f"mlflow_ui.py printed no link for {name}: {log.read_text()[-2000:]}")


def test_the_printed_link_lands_on_the_runs_table_with_the_key_metrics(champion, browser_paths, tmp_path):
    db = tmp_path / "mlflow.db"
    shutil.copy(champion, db)
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    run = client.get_run(client.get_model_version_by_alias("churn-classifier", "champion").run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "scripts/mlflow_ui.py", "--db", str(db)],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
            start_new_session=True,  # the UI's server workers go with it
        )
    try:
        ui, link = printed_link(log, experiment.name, proc)
        wait_http(f"{ui}/health", proc, log)
        with chromium(browser_paths) as driver:
            driver.get(link)
            text = page_text(driver, run.info.run_name, "holdout_roc_auc")
            assert "Run Name" in text  # the runs table, not the GenAI overview
            for metric in ("holdout_roc_auc", "holdout_f1", "holdout_precision", "holdout_recall"):
                assert metric in text
            # the UI rounds; the store's value at three decimals is what a person reads
            assert f"{run.data.metrics['holdout_roc_auc']:.3f}".rstrip("0") in text
            # without the link, the experiment still opens on its runs table (mlflow.experimentKind)
            driver.get(f"{ui}/#/experiments/{experiment.experiment_id}")
            assert "Traces" not in page_text(driver, "Run Name", run.info.run_name).split("Run Name")[1]
    finally:
        stop_group(proc)
