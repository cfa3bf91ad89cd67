"""Feature drift by the population stability index (PSI).

``PSI = Σ (actual% − expected%) · ln(actual% / expected%)`` over bins fixed on the training data
(*expected*): numeric features use ``bins`` quantile bins of the training values (open-ended at both
sides), categorical ones use the categories. Missing values are a bin of their own, and empty bins
are floored at ``EPSILON`` so the logarithm stays finite. Usual reading: < 0.1 stable, 0.1–0.2
moderate, > 0.2 shifted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EPSILON = 1e-4


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.maximum(expected / max(expected.sum(), 1), EPSILON)
    a = np.maximum(actual / max(actual.sum(), 1), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_psi(expected: pd.Series | np.ndarray, actual: pd.Series | np.ndarray, bins: int = 10) -> float:
    """PSI of a numeric feature, ``bins`` quantile bins of ``expected`` (fewer when values repeat)."""
    exp = pd.to_numeric(pd.Series(expected), errors="coerce").to_numpy(dtype=float)
    act = pd.to_numeric(pd.Series(actual), errors="coerce").to_numpy(dtype=float)
    finite = exp[~np.isnan(exp)]
    if finite.size == 0:
        return 0.0
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1))[1:-1])  # interior edges only

    def counts(values: np.ndarray) -> np.ndarray:
        ok = values[~np.isnan(values)]
        per_bin = np.bincount(np.searchsorted(edges, ok, side="right"), minlength=len(edges) + 1)
        return np.append(per_bin, np.isnan(values).sum()).astype(float)

    return _psi(counts(exp), counts(act))


def categorical_psi(expected: pd.Series, actual: pd.Series) -> float:
    """PSI of a categorical feature over the union of categories seen (missing is a category)."""
    e = pd.Series(expected).astype(object).where(pd.Series(expected).notna(), "<missing>").astype(str)
    a = pd.Series(actual).astype(object).where(pd.Series(actual).notna(), "<missing>").astype(str)
    cats = sorted(set(e) | set(a))
    return _psi(e.value_counts().reindex(cats, fill_value=0).to_numpy(dtype=float),
                a.value_counts().reindex(cats, fill_value=0).to_numpy(dtype=float))


def is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def feature_psi(train: pd.DataFrame, new: pd.DataFrame, bins: int = 10) -> dict[str, float]:
    """PSI per feature of ``train`` present in ``new`` (numeric by quantile bins, others by category)."""
    out: dict[str, float] = {}
    for col in train.columns:
        if col not in new.columns:
            continue
        if is_numeric(train[col]):
            out[str(col)] = numeric_psi(train[col], new[col], bins)
        else:
            out[str(col)] = categorical_psi(train[col], new[col])
    return out
