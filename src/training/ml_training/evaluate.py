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
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
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


def write_artifacts(
    out: Path, model, *, x_test: pd.DataFrame, y_test: np.ndarray, proba: np.ndarray, seed: int
) -> list[Path]:
    """ROC curve, confusion matrix and feature importance as PNG + CSV; returns the files."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    fpr, tpr, thresholds = roc_curve(y_test, proba)
    pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": thresholds}).to_csv(out / "roc_curve.csv", index=False)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, label=f"ROC-AUC {roc_auc_score(y_test, proba):.3f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve (holdout)")
    ax.legend(loc="lower right")
    fig.savefig(out / "roc_curve.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    files += [out / "roc_curve.png", out / "roc_curve.csv"]

    cm = confusion_matrix(y_test, (proba >= 0.5).astype(int), labels=[0, 1])
    pd.DataFrame(cm, index=["actual_0", "actual_1"], columns=["predicted_0", "predicted_1"]).to_csv(
        out / "confusion_matrix.csv"
    )
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(cm, cmap="Blues")
    for (i, j), value in np.ndenumerate(cm):
        ax.text(j, i, str(value), ha="center", va="center", color="black")
    ax.set(
        xticks=[0, 1], yticks=[0, 1], xlabel="predicted", ylabel="actual", title="Confusion matrix (holdout)"
    )
    fig.savefig(out / "confusion_matrix.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    files += [out / "confusion_matrix.png", out / "confusion_matrix.csv"]

    sample = min(len(x_test), 2000)
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(x_test), sample, replace=False) if sample < len(x_test) else np.arange(len(x_test))
    result = permutation_importance(
        model, x_test.iloc[idx], y_test[idx], scoring="roc_auc", n_repeats=3, random_state=seed, n_jobs=1
    )
    importance = pd.DataFrame(
        {"feature": x_test.columns, "importance": result.importances_mean, "std": result.importances_std}
    ).sort_values("importance", ascending=False)
    importance.to_csv(out / "feature_importance.csv", index=False)
    top = importance.head(20).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, max(3, 0.3 * len(top))))
    ax.barh(top["feature"], top["importance"], xerr=top["std"])
    ax.set(xlabel="ROC-AUC drop when shuffled", title="Permutation feature importance (holdout)")
    fig.savefig(out / "feature_importance.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    files += [out / "feature_importance.png", out / "feature_importance.csv"]
    return files


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
