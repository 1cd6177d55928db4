"""Holdout metrics and the artifacts a person would rather look at."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import polars as pl
from sklearn.calibration import CalibrationDisplay, calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from ml_platform.specs import FeatureSpec


def metrics(y_true: np.ndarray, proba: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    pred = (proba >= threshold).astype(int)
    auc = float(roc_auc_score(y_true, proba)) if len(np.unique(y_true)) == 2 else float("nan")
    return {
        "accuracy": float(accuracy_score(y_true, pred)),
        "precision": float(precision_score(y_true, pred, zero_division=0)),
        "recall": float(recall_score(y_true, pred, zero_division=0)),
        "f1": float(f1_score(y_true, pred, zero_division=0)),
        "roc_auc": auc,
        "gini": 2 * auc - 1,
        "log_loss": float(log_loss(y_true, np.clip(proba, 1e-15, 1 - 1e-15), labels=[0, 1])),
    }


THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def write_artifacts(
    out: Path,
    model,
    *,
    x_test: pd.DataFrame,
    y_test: np.ndarray,
    proba: np.ndarray,
    seed: int,
    threshold: float = 0.5,
) -> list[Path]:
    """The holdout's plots (PNG) and their data (CSV); returns the files.

    ROC and precision-recall curves, calibration, the confusion matrix at the threshold in use,
    a threshold table and permutation importance. The plots are scikit-learn's displays.
    """
    out.mkdir(parents=True, exist_ok=True)
    return [
        *_roc(out, y_test, proba),
        *_precision_recall(out, y_test, proba),
        *_calibration(out, y_test, proba),
        *_confusion(out, y_test, proba, threshold),
        _save_csv(threshold_table(y_test, proba, threshold), out / "threshold_table.csv"),
        *_importance(out, model, x_test, y_test, seed),
    ]


def _save_csv(frame: pd.DataFrame, path: Path, **kwargs) -> Path:
    frame.to_csv(path, index=kwargs.pop("index", False), **kwargs)
    return path


def _save_png(fig, path: Path) -> Path:
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def _roc(out: Path, y: np.ndarray, proba: np.ndarray) -> list[Path]:
    fpr, tpr, thresholds = roc_curve(y, proba)
    data = pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": thresholds})
    fig, ax = plt.subplots(figsize=(5, 5))
    RocCurveDisplay(fpr=fpr, tpr=tpr, roc_auc=roc_auc_score(y, proba)).plot(ax=ax, plot_chance_level=True)
    ax.set(title="ROC curve (holdout)")
    return [_save_png(fig, out / "roc_curve.png"), _save_csv(data, out / "roc_curve.csv")]


def _precision_recall(out: Path, y: np.ndarray, proba: np.ndarray) -> list[Path]:
    precision, recall, thresholds = precision_recall_curve(y, proba)
    data = pd.DataFrame({"precision": precision[:-1], "recall": recall[:-1], "threshold": thresholds})
    fig, ax = plt.subplots(figsize=(5, 5))
    PrecisionRecallDisplay.from_predictions(y, proba, ax=ax, plot_chance_level=True)
    ax.set(title="Precision-recall curve (holdout)")
    return [
        _save_png(fig, out / "precision_recall_curve.png"),
        _save_csv(data, out / "precision_recall_curve.csv"),
    ]


def _calibration(out: Path, y: np.ndarray, proba: np.ndarray, bins: int = 10) -> list[Path]:
    """Observed rate against mean score in ten bins of equal size (quantiles of the score)."""
    observed, predicted = calibration_curve(y, proba, n_bins=bins, strategy="quantile")
    data = pd.DataFrame({"mean_score": predicted, "observed_rate": observed})
    fig, ax = plt.subplots(figsize=(5, 5))
    CalibrationDisplay(observed, predicted, proba).plot(ax=ax, name="model")
    ax.set(title="Calibration (holdout, score deciles)")
    return [_save_png(fig, out / "calibration.png"), _save_csv(data, out / "calibration.csv")]


def _confusion(out: Path, y: np.ndarray, proba: np.ndarray, threshold: float) -> list[Path]:
    cm = confusion_matrix(y, (proba >= threshold).astype(int), labels=[0, 1])
    data = pd.DataFrame(cm, index=["actual_0", "actual_1"], columns=["predicted_0", "predicted_1"])
    fig, ax = plt.subplots(figsize=(4, 4))
    ConfusionMatrixDisplay(cm, display_labels=[0, 1]).plot(ax=ax, cmap="Blues", colorbar=False)
    ax.set(title=f"Confusion matrix (holdout, threshold {threshold:g})")
    return [
        _save_png(fig, out / "confusion_matrix.png"),
        _save_csv(data, out / "confusion_matrix.csv", index=True),
    ]


def threshold_table(y: np.ndarray, proba: np.ndarray, threshold: float) -> pd.DataFrame:
    """Precision, recall and F1 at each of THRESHOLDS and the one in use (``in_use``)."""
    rows = []
    for t in sorted({*THRESHOLDS, threshold}):
        pred = (proba >= t).astype(int)
        rows.append(
            {
                "threshold": t,
                "precision": precision_score(y, pred, zero_division=0),
                "recall": recall_score(y, pred, zero_division=0),
                "f1": f1_score(y, pred, zero_division=0),
                "flagged_share": float(pred.mean()),
                "in_use": t == threshold,
            }
        )
    return pd.DataFrame(rows)


def _importance(out: Path, model, x: pd.DataFrame, y: np.ndarray, seed: int) -> list[Path]:
    """Permutation importance (ROC-AUC drop) on up to 2,000 holdout rows."""
    sample = min(len(x), 2000)
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(x), sample, replace=False) if sample < len(x) else np.arange(len(x))
    result = permutation_importance(
        model, x.iloc[idx], y[idx], scoring="roc_auc", n_repeats=3, random_state=seed, n_jobs=1
    )
    importance = pd.DataFrame(
        {"feature": x.columns, "importance": result.importances_mean, "std": result.importances_std}
    ).sort_values("importance", ascending=False)
    top = importance.head(20).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, max(3, 0.3 * len(top))))
    ax.barh(top["feature"], top["importance"], xerr=top["std"])
    ax.set(xlabel="ROC-AUC drop when shuffled", title="Permutation feature importance (holdout)")
    return [
        _save_png(fig, out / "feature_importance.png"),
        _save_csv(importance, out / "feature_importance.csv"),
    ]


def profile(frame: pl.DataFrame, features: list[FeatureSpec], label: str, extra: dict) -> dict:
    """Rows, class balance and per-feature statistics of the training set."""
    rows = frame.height
    stats: dict[str, dict] = {}
    for f in features:
        col = frame[f.name]
        entry: dict = {"type": f.type, "null_ratio": col.null_count() / rows if rows else 0.0}
        if f.type == "String":
            counts = col.drop_nulls().value_counts(sort=True).head(10)
            entry["distinct"] = col.n_unique()
            entry["top_values"] = {str(v): int(c) for v, c in counts.iter_rows()}
        else:
            entry.update(mean=col.mean(), std=col.std(), min=col.min(), max=col.max(), median=col.median())
        stats[f.name] = entry
    balance = {str(k): int(v) for k, v in frame[label].value_counts().iter_rows()}
    return {"rows": rows, "class_balance": balance, "features": stats, **extra}


def write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))
    return path
