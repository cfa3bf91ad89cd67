"""Leak-free preprocessing: every transformer sits inside the pipeline, fitted on training folds only.

:func:`plan_columns` decides what each raw column is (numeric, low/high-cardinality categorical,
datetime) and which to drop (constant, identifier-like), with a note for each drop.
:func:`make_preprocessor` turns a plan into a ``ColumnTransformer``:

- numeric: median imputation (with missing-value indicators), then scaling when the model needs it;
- low-cardinality categoricals: one-hot, rare levels pooled (``min_frequency``), unknown levels ignored;
- high-cardinality categoricals: sklearn's ``TargetEncoder`` (cross-fitted inside the training fold);
- datetimes: expanded to year, month, day, weekday, hour and days since 1970;
- ``native=True`` (CatBoost): categoricals stay strings, the model handles them itself.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder

HIGH_CARDINALITY = 20  # more distinct levels than this: target encoding instead of one-hot
MAX_ORDINAL = 255  # histogram boosting bins a categorical feature into at most 255 codes (+ missing)
MIN_FREQUENCY = 5  # one-hot levels seen fewer times in the training fold are pooled as "infrequent"
MISSING = "__missing__"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
DATE_PARTS = ("year", "month", "day", "weekday", "hour", "epoch_days")


@dataclass
class ColumnPlan:
    """What each raw feature column becomes."""

    numeric: list[str] = field(default_factory=list)
    low_cardinality: list[str] = field(default_factory=list)
    high_cardinality: list[str] = field(default_factory=list)
    datetime: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def categorical(self) -> list[str]:
        return [*self.low_cardinality, *self.high_cardinality]


def _looks_like_dates(s: pd.Series) -> bool:
    sample = s.dropna().astype(str).head(200)
    return bool(len(sample)) and all(_ISO_DATE.match(v) for v in sample)


def plan_columns(X: pd.DataFrame) -> ColumnPlan:
    """Infer the type of every column of the raw features; drop constant and identifier-like ones."""
    plan = ColumnPlan()
    n = len(X)
    for col in X.columns:
        s = X[col]
        uniq = s.nunique(dropna=False)
        numeric = pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s)
        if uniq <= 1:
            plan.dropped.append(col)
            plan.notes.append(f"dropped {col}: constant")
        elif pd.api.types.is_datetime64_any_dtype(s) or (not numeric and _looks_like_dates(s)):
            plan.datetime.append(col)
            plan.notes.append(f"expanded {col}: datetime to {', '.join(DATE_PARTS)}")
        elif numeric:
            if pd.api.types.is_integer_dtype(s) and uniq == n and n >= 50:
                plan.dropped.append(col)
                plan.notes.append(f"dropped {col}: identifier-like (every integer value unique)")
            else:
                plan.numeric.append(col)
        elif n >= 20 and uniq >= 0.95 * n:
            plan.dropped.append(col)
            plan.notes.append(f"dropped {col}: identifier-like ({uniq} distinct strings in {n} rows)")
        elif uniq <= HIGH_CARDINALITY:
            plan.low_cardinality.append(col)
        else:
            plan.high_cardinality.append(col)
            plan.notes.append(f"target-encoded {col}: {uniq} levels")
    return plan


def as_float(X: Any) -> Any:
    """Numbers and booleans as float64 (booleans trip the median imputer)."""
    return pd.DataFrame(X).astype("float64")


def as_text(X: Any) -> Any:
    """Categoricals as plain strings, missing values as their own level."""
    frame = pd.DataFrame(X)
    return frame.astype(object).where(frame.notna(), MISSING).astype(str).astype(object)


# scikit-learn is untyped: its base classes are Any to mypy
class DatetimeParts(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Each datetime column (or ISO-8601 text) becomes numeric parts; unparsable values are NaN."""

    def fit(self, X: Any, y: Any = None) -> DatetimeParts:
        self.feature_names_in_ = np.asarray(pd.DataFrame(X).columns, dtype=object)
        return self

    def transform(self, X: Any) -> Any:
        frame = pd.DataFrame(X, columns=self.feature_names_in_) if not isinstance(X, pd.DataFrame) else X
        out = {}
        for col in self.feature_names_in_:
            when = pd.to_datetime(frame[col], errors="coerce", utc=True, format="ISO8601")
            epoch = (when - pd.Timestamp(0, tz="UTC")).dt.total_seconds() / 86400.0
            parts = (when.dt.year, when.dt.month, when.dt.day, when.dt.day_of_week, when.dt.hour, epoch)
            for name, values in zip(DATE_PARTS, parts, strict=True):
                out[f"{col}__{name}"] = values.astype("float64").to_numpy()
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        return np.asarray([f"{c}__{p}" for c in self.feature_names_in_ for p in DATE_PARTS], dtype=object)


# scikit-learn is untyped: its base classes are Any to mypy
class MedianImputer(SimpleImputer):  # type: ignore[misc]
    """``SimpleImputer(strategy="median")`` whose dense medians come from ``np.nanmedian`` (a partial
    sort per column) instead of a sort of the whole masked array: the same statistics, missing-value
    indicators, empty-column handling and output, and a faster fit (the masked sort was a large share of
    a noop trial's cross-validation: bench/results/design_figures.md)."""

    def __init__(self, *, add_indicator: bool = False, keep_empty_features: bool = False) -> None:
        super().__init__(strategy="median", add_indicator=add_indicator, keep_empty_features=keep_empty_features)

    def _dense_fit(self, X: Any, strategy: str, missing_values: Any, fill_value: Any) -> Any:
        if strategy != "median" or not (isinstance(missing_values, float) and np.isnan(missing_values)) \
                or X.dtype.kind != "f":
            return super()._dense_fit(X, strategy, missing_values, fill_value)
        missing = np.isnan(X)
        self._fit_indicator(missing)
        empty = missing.all(axis=0)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice": an empty column
            median = np.nanmedian(X, axis=0) if missing.any() else np.median(X, axis=0)
        median = np.asarray(median, dtype=np.float64)
        median[empty] = 0 if self.keep_empty_features else np.nan
        return median


def _numeric_steps(scale: bool, impute: bool = True) -> list[tuple[str, Any]]:
    steps: list[tuple[str, Any]] = [("float", FunctionTransformer(as_float, feature_names_out="one-to-one"))]
    if impute:
        steps.append(("impute", MedianImputer(add_indicator=True)))
    if scale:
        steps.append(("scale", StandardScaler()))
    return steps


def make_preprocessor(plan: ColumnPlan, task: str, scale: bool, native: bool = False,
                      seed: int = 0, ordinal: bool = False) -> ColumnTransformer:
    """A ``ColumnTransformer`` for the plan; ``native=True`` keeps categoricals as text (CatBoost);
    ``ordinal=True`` codes each categorical as 0..k-1 under its own name (histogram boosting's
    ``categorical_features``): at most ``MAX_ORDINAL`` codes, rarer levels pooled, unknown and missing NaN."""
    if not (plan.numeric or plan.datetime or plan.categorical):
        raise ValueError("no usable feature columns: every column was dropped (see the notes)")
    text = ("text", FunctionTransformer(as_text, feature_names_out="one-to-one"))
    parts: list[tuple[str, Any, list[str]]] = []
    if plan.numeric:
        # CatBoost handles missing numbers itself; elsewhere impute
        parts.append(("num", Pipeline(_numeric_steps(scale, impute=not native)), plan.numeric))
    if plan.datetime:
        date_steps = [("parts", DatetimeParts()), *_numeric_steps(scale, impute=not native)[1:]]
        parts.append(("date", Pipeline(date_steps), plan.datetime))
    if ordinal and plan.categorical:
        codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan,
                               max_categories=MAX_ORDINAL, dtype=np.float64)
        parts.append(("ordinal", Pipeline([text, ("encode", codes)]), plan.categorical))
        return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False).set_output(
            transform="pandas")
    if native:
        if plan.categorical:
            parts.append(("cat", Pipeline([text]), plan.categorical))
        return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False).set_output(
            transform="pandas")
    if plan.low_cardinality:
        onehot = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=MIN_FREQUENCY,
                               sparse_output=False)
        parts.append(("onehot", Pipeline([text, ("encode", onehot)]), plan.low_cardinality))
    if plan.high_cardinality:
        if task == "regression":
            encoder = TargetEncoder(target_type="continuous", cv=KFold(5, shuffle=True, random_state=seed))
        else:
            encoder = TargetEncoder(target_type="binary" if task == "binary" else "multiclass",
                                    cv=StratifiedKFold(5, shuffle=True, random_state=seed))
        parts.append(("target", Pipeline([text, ("encode", encoder)]), plan.high_cardinality))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)
