"""Feature drift (ml_platform.drift): the reference profile and PSI, against hand-worked values."""

from __future__ import annotations

import math

import polars as pl
import pytest

from ml_platform.drift import EPSILON, compare, psi, reference_profile
from ml_platform.specs import FeatureSpec

pytestmark = pytest.mark.unit
NUMBER = FeatureSpec("x", "Fractional", "")
WORD = FeatureSpec("w", "String", "")


def test_psi_of_two_bins_worked_by_hand():
    # 0.4 * ln(0.9 / 0.5) + (-0.4) * ln(0.1 / 0.5)
    assert psi([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.4 * 0.5877867 + 0.4 * 1.6094379, rel=1e-6)
    assert psi([0.25, 0.75], [0.25, 0.75]) == 0


def test_numeric_profile_is_deciles_of_the_training_rows():
    frame = pl.DataFrame({"x": [float(v) for v in range(1, 101)] + [None] * 25})
    profile = reference_profile(frame, [NUMBER])["features"]["x"]
    # numpy's linear quantiles of 1..100: 1 + q * 99 at q = 0.1 .. 0.9
    assert profile["edges"] == pytest.approx([1 + q / 10 * 99 for q in range(1, 10)])
    assert profile["shares"] == pytest.approx([0.1] * 10)
    assert profile["null_share"] == pytest.approx(25 / 125)


def test_a_shifted_feature_has_a_large_psi_and_an_unchanged_one_none():
    training = pl.DataFrame({"x": [float(v) for v in range(1, 101)]})
    profile = reference_profile(training, [NUMBER])
    same = compare(profile, training, [NUMBER], warn=0.1, fail=0.25)[0]
    assert same.psi == 0 and same.status == "ok"
    shifted = compare(profile, training.with_columns(pl.col("x") + 1000), [NUMBER], warn=0.1, fail=0.25)[0]
    # every value lands in the last bin: nine bins go from 0.1 to (floored) 0, one from 0.1 to 1
    expected = 9 * (EPSILON - 0.1) * math.log(EPSILON / 0.1) + (1 - 0.1) * math.log(1 / 0.1)
    assert shifted.psi == pytest.approx(expected, rel=1e-5)
    assert shifted.status == "fail"


def test_categories_never_seen_in_training_are_counted_and_drift():
    training = pl.DataFrame({"w": ["a", "b"] * 50})
    profile = reference_profile(training, [WORD])
    now = pl.DataFrame({"w": ["a", "c"] * 40 + [None] * 20})
    drift = compare(profile, now, [WORD], warn=0.1, fail=10)[0]
    assert drift.unseen_share == pytest.approx(0.5)
    assert drift.null_share == pytest.approx(0.2) and drift.null_share_reference == 0
    # bins a, b, other: 0.5 -> 0.5, 0.5 -> 0 (floored), 0 (floored) -> 0.5
    one_way = (0.5 - EPSILON) * math.log(0.5 / EPSILON)
    assert drift.psi == pytest.approx(2 * one_way, rel=1e-5)
    assert drift.status == "warn"


def test_nan_counts_as_null():
    frame = pl.DataFrame({"x": [1.0, float("nan"), None, 4.0]})
    assert reference_profile(frame, [NUMBER])["features"]["x"]["null_share"] == pytest.approx(0.5)
