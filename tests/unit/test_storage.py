"""Reading user tables (labels, entity lists): a file's own columns, whatever its path."""

from __future__ import annotations

import polars as pl
import pytest

from ml_platform.storage import read_table

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_a_file_under_hive_style_folders_keeps_only_its_own_columns(tmp_path, suffix):
    folder = tmp_path / "labels" / "year=2026" / "month=03"
    folder.mkdir(parents=True)
    frame = pl.DataFrame({"customer_id": ["C1", "C2"], "churned": ["0", "1"]})
    path = folder / f"labels.{suffix}"
    frame.write_parquet(path) if suffix == "parquet" else frame.write_csv(path)
    assert read_table(path).to_dicts() == [
        {"customer_id": "C1", "churned": "0"},
        {"customer_id": "C2", "churned": "1"},
    ]
