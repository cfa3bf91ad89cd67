"""Leak-free preprocessing: every transformer sits inside the pipeline, fitted on training folds only."""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

HIGH_CARDINALITY = 20


def column_plan(X: pd.DataFrame) -> tuple[list[str], list[str], list[str], list[str]]:
    """(numeric, low-cardinality categorical, high-cardinality categorical, dropped-with-a-note)."""
    numeric, low, high, dropped = [], [], [], []
    n = len(X)
    for col in X.columns:
        s = X[col]
        uniq = s.nunique(dropna=True)
        if uniq <= 1:
            dropped.append(f"{col}: constant")
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            if pd.api.types.is_integer_dtype(s) and uniq == n and n > 50:
                dropped.append(f"{col}: identifier-like (every value unique)")
            else:
                numeric.append(col)
        elif uniq == n and n > 50:
            dropped.append(f"{col}: identifier-like (every value unique)")
        elif uniq <= HIGH_CARDINALITY:
            low.append(col)
        else:
            high.append(col)
    return numeric, low, high, dropped


def preprocessor(X: pd.DataFrame, task: str, scale: bool) -> tuple[ColumnTransformer, list[str]]:
    numeric, low, high, notes = column_plan(X)
    num_steps: list[tuple[str, object]] = [("impute", SimpleImputer(strategy="median"))]
    if scale:
        num_steps.append(("scale", StandardScaler()))
    parts: list[tuple[str, object, list[str]]] = [("num", Pipeline(num_steps), numeric)]
    cat_impute = SimpleImputer(strategy="constant", fill_value="__missing__")
    if low:
        parts.append(("onehot", Pipeline([("impute", cat_impute),
                                          ("encode", OneHotEncoder(handle_unknown="infrequent_if_exist",
                                                                   min_frequency=5, sparse_output=False))]), low))
    if high:
        target_type = "continuous" if task == "regression" else ("binary" if task == "binary" else "multiclass")
        parts.append(("target", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                                          ("encode", TargetEncoder(target_type=target_type, random_state=0))]), high))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False), notes
