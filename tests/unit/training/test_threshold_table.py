"""The threshold table of the holdout, against hand-worked counts."""

from __future__ import annotations

import numpy as np
import pytest

from ml_training.evaluate import THRESHOLDS, threshold_table

pytestmark = pytest.mark.unit


def test_each_threshold_and_the_one_in_use_by_hand():
    y = np.array([1, 0, 1, 0])
    proba = np.array([0.9, 0.6, 0.4, 0.1])
    table = threshold_table(y, proba, 0.35).set_index("threshold")
    assert list(table.index) == sorted({*THRESHOLDS, 0.35})
    assert table["in_use"].sum() == 1 and table.loc[0.35, "in_use"]
    # at 0.35: 0.9, 0.6 and 0.4 are flagged; two of them are positive, and both positives are found
    assert table.loc[0.35, ["precision", "recall", "f1", "flagged_share"]].tolist() == pytest.approx(
        [2 / 3, 1.0, 0.8, 0.75]
    )
    # at 0.5: 0.9 and 0.6 flagged, one positive of two
    assert table.loc[0.5, ["precision", "recall", "f1"]].tolist() == pytest.approx([0.5, 0.5, 0.5])
    # at 0.9: only 0.9, a positive
    assert table.loc[0.9, ["precision", "recall", "flagged_share"]].tolist() == pytest.approx(
        [1.0, 0.5, 0.25]
    )
