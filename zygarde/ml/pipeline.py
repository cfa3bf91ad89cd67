"""One trial's unfitted pipeline: preprocessing, optional resampling, the model.

Everything that learns from data (imputers, scalers, encoders, resamplers) is a step of the
pipeline, so cross-validation fits it on the training folds only. Resampling uses
imbalanced-learn's ``Pipeline``, whose samplers act during ``fit`` and never at predict time.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import has_fit_parameter

from zygarde.ml import algorithms
from zygarde.ml.estimator import LabelledClassifier, positive_label
from zygarde.ml.preprocessing import ColumnPlan, make_preprocessor, plan_columns

RESAMPLERS = ("undersample", "oversample", "smote")


def _sampler(imbalance: str, seed: int, y: pd.Series | None) -> Any:
    from imblearn import over_sampling, under_sampling

    if imbalance == "undersample":
        return under_sampling.RandomUnderSampler(random_state=seed)
    if imbalance == "oversample":
        return over_sampling.RandomOverSampler(random_state=seed)
    k = 5
    if y is not None and len(y):
        # a training fold holds at least about half of the rarest class; SMOTE needs k < its size
        k = max(1, min(5, int(y.value_counts().min()) // 2 - 1))
    return over_sampling.SMOTE(k_neighbors=k, random_state=seed)


def build_pipeline(algorithm_name: str, params: dict[str, Any], task: str, X: pd.DataFrame,
                   imbalance: str = "none", seed: int = 0, *,
                   y: pd.Series | None = None, plan: ColumnPlan | None = None,
                   final: bool = False) -> tuple[Any, list[str]]:
    """An unfitted pipeline taking the raw feature frame, and notes on what it decided.

    ``y`` (the raw training target) is optional: with it, the positive class of a binary task and
    SMOTE's neighbour count are fixed up front, so every fold agrees. ``plan``: ``plan_columns(X)``
    when the caller already has it (it is never changed here). ``final``: the model a job hands over, not a
    trial's: an early-stopped booster fits again on every row with the trees its inner split kept.
    """
    algo = algorithms.get(algorithm_name)
    params = dict(params)
    classification = task != "regression"
    plan = plan_columns(X) if plan is None else plan
    notes = list(plan.notes)
    balance = False
    if not classification and imbalance != "none":
        notes.append(f"imbalance {imbalance} ignored: it applies to classification only")
    if classification and imbalance == "class_weight":
        if algo.supports_class_weight:
            params.setdefault("class_weight", "balanced")
        else:
            balance = True
    resample = classification and imbalance in RESAMPLERS
    # SMOTE interpolates numbers, so text categoricals must be encoded first even for CatBoost
    native = algo.native_categoricals and not (resample and imbalance == "smote")
    if algo.native_categoricals and not native and plan.categorical:
        notes.append("smote: categoricals one-hot/target encoded instead of CatBoost's native handling")
    model = algo.build(params, task, seed)
    if final and "refit_every_row" in model.get_params():
        model.set_params(refit_every_row=True)
    if native and plan.categorical:
        model.set_params(cat_features=tuple(plan.categorical))  # a tuple survives sklearn.clone
    if classification:
        if balance and not has_fit_parameter(model, "sample_weight"):
            notes.append(f"class_weight ignored: {algo.name} takes neither class weights nor sample weights")
            balance = False
        positive = positive_label(y) if task == "binary" and y is not None else None
        model = LabelledClassifier(model, binary=task == "binary", positive=positive, balance=balance)
    elif algo.scale_target:
        model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    ordinal = algo.ordinal_categoricals and bool(plan.categorical) and not (resample and imbalance == "smote")
    if ordinal:
        inner: Any = model.regressor if isinstance(model, TransformedTargetRegressor) else \
            getattr(model, "estimator", model)
        if "categorical_features" in inner.get_params():  # histogram boosting splits on them as categories
            inner.set_params(categorical_features=list(plan.categorical))
    steps: list[tuple[str, Any]] = [("prep", make_preprocessor(plan, task, algo.needs_scaling, native, seed,
                                                               ordinal=ordinal))]
    if resample:
        from imblearn.pipeline import Pipeline as ImbPipeline

        return ImbPipeline([*steps, ("resample", _sampler(imbalance, seed, y)), ("model", model)]), notes
    return Pipeline([*steps, ("model", model)]), notes
