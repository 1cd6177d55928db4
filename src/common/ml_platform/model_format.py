"""How models are stored: the skops format and the types ml-platform trusts inside it.

Training writes with this allow-list; inference loads with it (never with the list stored in a
model's own MLmodel file, which whoever wrote the model controls).
"""

from __future__ import annotations

SERIALIZATION_FORMAT = "skops"
# Types inside our own pipelines that skops does not trust by default.
SKOPS_TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.compose._column_transformer._RemainderColsList",
    "numpy.dtype",
)
