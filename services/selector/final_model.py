"""The model a finished job announces, and what it is fitted on.

1. The best trial (by CV) is fitted on the training part and scored on the holdout, as before.
2. Ensemble candidate: greedy ensemble selection (``zygarde.ml.ensemble``) over the out-of-fold
   predictions of the top ``ensemble.TOP_K`` trials. When its out-of-fold score beats the best
   trial's own, its other members are fitted on the training part and the ensemble scored on the
   holdout. Whether it is announced weighs both measurements of its gain over the best trial
   (:func:`judge`): the out-of-fold gain, over every row of the training part, and the holdout gain,
   over the few rows kept aside, are two estimates of the same thing whose noise shrinks with the rows
   each scored, so their row-weighted mean is the better estimate (inverse-variance pooling); the
   ensemble is announced when that is a gain and the holdout does not say, beyond its own noise, that it
   is worse. The holdout's noise is the spread of the per-fold gains, scaled from a fold's rows to the
   holdout's. Requiring a win on the holdout alone, a fifth of the rows, turned away ensembles that
   gained out of fold by several times the holdout's noise and lost on it by a fraction of it (and
   then won on data neither had seen); the veto still turns away a selection that fitted the
   out-of-fold predictions' noise, which the holdout contradicts clearly. Without per-fold gains
   the holdout alone decides, as before.
   It is not tried when its out-of-fold gain is under :data:`MIN_GAIN` of the best trial's score, nor
   when fitting its other members on the training part would cost more than ``COST_SHARE`` of the fit time
   the whole search spent (estimated from their trials' CV fits), and more than ``FREE_SECONDS``: the time
   at the end of a job stays a small part of it. When greedy selection is turned away for its gain (or
   keeps one trial), the candidate is instead the plain mean of the best trial and its peers of the same
   algorithm within the folds' noise of it (:mod:`.tied`), judged and costed the same way.
3. Final refit (``spec.final_refit``): with ``all`` (the default) the announced model (the trial, or
   every member of the ensemble) is fitted again on every row the user gave, training part and
   holdout, and that is the artifact the registry serves. The holdout score stays the one measured on
   the model fitted on the training part, whose artifact is kept beside it. Every fit here is a final one
   (``build_pipeline(final=True)``): an early-stopped booster fits again on all its rows at the kept tree count.
   A member whose fit depends on its seed is fitted with several seeds and they are averaged (:mod:`.seed_bag`).

Fits run on two threads (scikit-learn's and CatBoost's fits release the GIL for most of their work):
the best trial's fits on the training part and on every row start first and run while the selection
is computed, so the extra time at the end of a job is far less than one more fit. The threads fit
inside one ``cv.quiet`` entered around them all: its warning filters and thread limits are
process-wide, and two of them entered and left from several threads would restore each other's state.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from services.selector import seed_bag, tied
from services.selector.verdict import judge as judge  # named here: bench ensemble_gate swaps it for build
from zygarde import events as ev
from zygarde.errors import ZygardeError
from zygarde.ml import cv, ensemble, metrics, oof
from zygarde.ml.estimator import positive_label
from zygarde.ml.pipeline import build_pipeline

log = logging.getLogger(__name__)

FIT_THREADS = 2
COST_SHARE = 0.25  # the most the ensemble's extra member fits may cost, as a share of the search's fit time
FREE_SECONDS = 2.0  # ... unless they take less than this anyway (a small search's members are a large share)
# An ensemble is fitted only when its out-of-fold gain over the best trial is more than this share of the
# best's score (the planner's "improvement worth the name"): the out-of-fold gain is the selection's own
# optimistic estimate, a smaller one seldom survives new data, and its members' fits and refits double the
# time at the end of the job. The per-fold gains' standard error is no threshold: from five folds it is
# itself noisy, ensembles whose gain was barely beyond it did much better on new data, and the holdout
# weighs it anyway (see :func:`judge`).
MIN_GAIN = 1e-3


class Leaderboard(Protocol):
    """Where the trials come from: ``ResultRepository`` (completed full-data trials, best first)."""

    def leaderboard(self, job_id: str, limit: int = 1000) -> list[dict[str, Any]]: ...


@dataclass
class Candidate:
    """What the ensemble selection found over the top trials' out-of-fold predictions."""

    trials: list[dict[str, Any]]  # result documents of the members, in the selection's order
    weights: list[float]
    oof_score: float
    best_oof_score: float  # the best trial's own out-of-fold score
    size: int
    offered: int  # trials whose predictions were read
    fold_gain: tuple[float, float] | None = None  # mean gain over the best trial a fold, its standard error
    method: str = "greedy"  # greedy selection, or the "tied mean" of the best algorithm's tied trials (``tied``)


@dataclass
class Announced:
    """The model to announce: ``pipeline`` is fitted on the training part (what ``holdout_score``
    measured); ``final`` is what the registry serves (``final_refit=all``: fitted on every row)."""

    kind: str
    pipeline: Any
    holdout_score: float
    members: list[dict[str, Any]]
    final: Any
    final_rows: int
    fitted: dict[str, Any] = field(default_factory=dict)  # trial id -> its pipeline on the training part
    ensemble: dict[str, Any] = field(default_factory=dict)  # what was tried, for the model card
    seconds: dict[str, float] = field(default_factory=dict)


def target_for_oof(y: pd.Series, task: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The training part's target as the kept predictions are scored against: 0/1 with the positive
    class as 1 (binary), labels with their sorted classes (multiclass), values (regression)."""
    values = y.to_numpy()
    if task == "binary":
        return (values == positive_label(y)).astype(int), None
    if task == "multiclass":
        return values, np.unique(values)
    return values.astype(float), None


def search_seconds(results: Leaderboard, job_id: str) -> float:
    """Instance-seconds the job's trials spent fitting: what the ensemble's and seed bags' fits are weighed against."""
    return sum(float(t.get("fit_seconds") or 0.0) for t in results.leaderboard(job_id))


def candidate(settings_root: str, results: Leaderboard, job_id: str, spec: ev.JobSpec, task: str,
              train: pd.DataFrame, best: dict[str, Any], top_k: int = ensemble.TOP_K,
              rounds: int = ensemble.ROUNDS, spent: float | None = None) -> tuple[Candidate | None, str]:
    """The ensemble worth fitting, or None and why not; ``spent``: :func:`search_seconds` when the caller has it."""
    if not best.get("oof"):
        return None, "the best trial kept no out-of-fold predictions"
    y, classes = target_for_oof(cv.prepare(train, spec).y, task)
    leaders, preds = [], []
    for trial in results.leaderboard(job_id, limit=top_k):
        ref = trial.get("oof") or {}
        if not ref.get("uri"):
            continue
        try:
            pred = oof.load(settings_root, ref["uri"], ref.get("sha256"))
        except (OSError, ValueError, ZygardeError) as exc:
            log.warning("out-of-fold predictions of %s not used: %s", trial["_id"], exc, extra={"job_id": job_id})
            continue
        n_classes = 0 if classes is None else len(classes)  # an array: never tested for truth
        if len(pred) != len(y) or (task == "multiclass" and (pred.ndim != 2 or pred.shape[1] != n_classes)):
            log.warning("out-of-fold predictions of %s have the wrong shape %s", trial["_id"], pred.shape,
                        extra={"job_id": job_id})
            continue
        leaders.append(trial)
        preds.append(pred)
    if best["_id"] not in [t["_id"] for t in leaders]:
        return None, "the best trial's out-of-fold predictions could not be read"
    if len(leaders) < 2:
        return None, "fewer than two trials kept out-of-fold predictions"
    metric = metrics.get(spec.metric)
    score = ensemble.scorer(task, metric, y, classes)
    chosen = ensemble.select(preds, score, metric.greater_is_better, rounds)
    best_pred = preds[[t["_id"] for t in leaders].index(best["_id"])]
    best_oof = score(best_pred)
    why = _turned_away(chosen, leaders, best_oof, spec.metric, metric.greater_is_better)
    picked, weights = chosen.members, chosen.weights
    if why:  # no greedy ensemble worth fitting: the mean of the best trial's tied peers, if it has any
        picked = tied.members(leaders, best)
        if len(picked) < 2:
            return None, why
        weights = [1.0 / len(picked)] * len(picked)
        why = (f"{why}; instead the mean of {len(picked)} {best['algorithm']} trials within one standard error of "
               f"the best trial's CV")
    blend = ensemble.blend([preds[i] for i in picked], weights)
    found = Candidate([leaders[i] for i in picked], weights, score(blend), best_oof,
                      len(picked) if why else chosen.size, len(leaders), method="tied mean" if why else "greedy")
    found.fold_gain = fold_gain(spec, task, train, metric, y, classes, blend, best_pred)
    extra = sum(refit_estimate(t, spec) for t in found.trials if t["_id"] != best["_id"])
    spent = search_seconds(results, job_id) if spent is None else spent
    if extra > max(COST_SHARE * spent, FREE_SECONDS):
        return None, (f"out-of-fold {spec.metric} {found.oof_score:.6g} against the best trial's {best_oof:.6g}, but "
                      f"fitting its members (~{extra:.1f} s) would cost over {COST_SHARE:.0%} of the search's "
                      f"{spent:.1f} s of fits")
    return found, why or "beats the best trial out of fold"


def _turned_away(chosen: ensemble.Selection, leaders: list[dict[str, Any]], best_oof: float, metric_name: str,
                 greater_is_better: bool) -> str:
    """Why the greedy selection is not worth fitting ("" when it is)."""
    if len(chosen.members) < 2:
        return f"the selection kept a single trial ({leaders[chosen.members[0]]['_id']})"
    if not _beats(chosen.score, best_oof, greater_is_better):
        return f"out-of-fold {metric_name} {chosen.score:.6g} does not beat the best trial's {best_oof:.6g}"
    gain = abs(chosen.score - best_oof)  # the selection beats the best trial: its gain in the metric's direction
    if gain <= MIN_GAIN * max(abs(best_oof), 0.1):
        return (f"out-of-fold {metric_name} {chosen.score:.6g} beats the best trial's {best_oof:.6g} by "
                f"{gain:.3g}, under {MIN_GAIN:.1%} of it: not worth fitting its members")
    return ""


def refit_estimate(trial: dict[str, Any], spec: ev.JobSpec) -> float:
    """Seconds one fit of ``trial`` on the whole training part takes: a CV fit's mean, scaled up from
    the (k-1)/k of the rows a fold trains on."""
    fits = len(trial.get("fold_scores") or []) or spec.cv.folds * spec.cv.repeats
    k = spec.cv.folds
    return float(trial.get("fit_seconds") or 0.0) / fits * k / max(1, k - 1)


def fold_gain(spec: ev.JobSpec, task: str, train: pd.DataFrame, metric: metrics.Metric, y: np.ndarray,
              classes: np.ndarray | None, blend: np.ndarray, best: np.ndarray) -> tuple[float, float] | None:
    """The ensemble's mean gain over the best trial on the job's folds (in the metric's direction) and
    its standard error; None when the folds cannot say (one fold, or a fold a metric cannot score)."""
    prepared = cv.prepare(train, spec)
    splitter = cv.make_splitter(spec.cv, task, spec.search.seed, prepared.frame)
    sign = 1.0 if metric.greater_is_better else -1.0
    gains = []
    try:
        for _, te in splitter.split(prepared.X, prepared.y, cv.groups_of(prepared.frame, spec.cv)):
            gains.append(sign * (ensemble.oof_score(task, metric, y[te], blend[te], classes)
                                 - ensemble.oof_score(task, metric, y[te], best[te], classes)))
    except ValueError:  # e.g. a fold without one of the classes
        return None
    if len(gains) < 2:
        return None
    return float(np.mean(gains)), float(np.std(gains, ddof=1) / np.sqrt(len(gains)))


def _beats(score: float, reference: float, greater_is_better: bool) -> bool:
    return score > reference if greater_is_better else score < reference


def build(settings_root: str, results: Leaderboard, job_id: str, spec: ev.JobSpec, task: str,
          frame: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame, best: dict[str, Any]) -> Announced:
    """Fit, measure, choose and (``final_refit=all``) refit the job's model."""
    seed = spec.search.seed
    metric = metrics.get(spec.metric)
    features = cv.features(holdout, spec.dataset)
    y_holdout = holdout[spec.dataset.target]
    everything = frame[frame[spec.dataset.target].notna()]
    refit_all = spec.final_refit == "all"
    seconds: dict[str, float] = {}
    took: dict[tuple[str, int, int], float] = {}  # (trial id, rows, seed) -> seconds its fit took

    def fit(trial: dict[str, Any], rows: pd.DataFrame, fit_seed: int = seed) -> Any:
        """``cv.fit_final`` without its own ``cv.quiet`` (the caller holds one for every thread)."""
        began = time.perf_counter()
        X, y = cv.features(rows, spec.dataset), rows[spec.dataset.target]
        pipeline, _ = build_pipeline(trial["algorithm"], trial["params"], task, X, spec.imbalance.strategy, fit_seed,
                                     y=y, final=True)
        fitted_pipeline = pipeline.fit(X, y)
        took[(trial["_id"], len(rows), fit_seed)] = time.perf_counter() - began
        return fitted_pipeline

    notes: list[str] = []
    with cv.quiet(notes), ThreadPoolExecutor(FIT_THREADS, thread_name_prefix="selector-fit") as pool:
        started = time.monotonic()
        # the best trial's fits are needed whatever the selection finds (its final refit is the model
        # unless an ensemble wins): they run while this thread selects
        best_fit = pool.submit(fit, best, train)
        early_final: Future[Any] | None = pool.submit(fit, best, everything) if refit_all else None
        spent = search_seconds(results, job_id)
        found, why = candidate(settings_root, results, job_id, spec, task, train, best, spent=spent)
        seconds["ensemble_selection"] = time.monotonic() - started
        others = [t for t in (found.trials if found else []) if t["_id"] != best["_id"]]
        train_fits = [best_fit, *(pool.submit(fit, t, train) for t in others)]
        fitted = {t["_id"]: f.result() for t, f in zip([best, *others], train_fits, strict=True)}
        single_score = float(metrics.score(metric, fitted[best["_id"]], features, y_holdout))
        seconds["fit_train"] = time.monotonic() - started
        info: dict[str, Any] = {"tried": found is not None, "reason": why}
        kind, pipeline, score = "single", fitted[best["_id"]], single_score
        members = [{"trial_id": best["_id"], "algorithm": best["algorithm"], "params": best["params"], "weight": 1.0}]
        if found is not None:
            blend = ensemble.WeightedEnsemble([fitted[t["_id"]] for t in found.trials], found.weights, task)
            blend_score = float(metrics.score(metric, blend, features, y_holdout))
            info.update(method=found.method, oof_score=found.oof_score, best_oof_score=found.best_oof_score,
                        size=found.size, offered=found.offered, holdout_score=blend_score,
                        best_holdout_score=single_score,
                        fold_gain=None if found.fold_gain is None else list(found.fold_gain),
                        members=[{"trial_id": t["_id"], "weight": w} for t, w in zip(found.trials, found.weights,
                                                                                       strict=True)])
            sign = 1.0 if metric.greater_is_better else -1.0
            repeats = spec.cv.repeats if spec.cv.strategy.startswith("repeated") else 1
            splits = spec.cv.folds * repeats  # the per-fold gains' standard error -> their spread
            fold_sd = None if found.fold_gain is None else found.fold_gain[1] * float(np.sqrt(splits))
            verdict = judge(sign * (found.oof_score - found.best_oof_score), len(train),
                            sign * (blend_score - single_score), len(holdout), fold_sd, len(train) / spec.cv.folds)
            info.update(pooled_gain=verdict.pooled_gain, holdout_error=verdict.holdout_error)
            info["reason"] = (f"holdout {spec.metric} {blend_score:.6g} against the best trial's {single_score:.6g}, "
                              f"out of fold {found.oof_score:.6g} against {found.best_oof_score:.6g}: "
                              + verdict.reason)
            if verdict.announce:
                kind, pipeline, score = "ensemble", blend, blend_score
                members = [{"trial_id": t["_id"], "algorithm": t["algorithm"], "params": t["params"], "weight": w}
                           for t, w in zip(found.trials, found.weights, strict=True)]
        started = time.monotonic()
        if not refit_all:
            final, final_rows = pipeline, len(train)
        else:
            assert early_final is not None  # submitted above whenever refit_all
            trials_by_id = {t["_id"]: t for t in [best, *others]}
            final, info["final_fits"] = seed_bag.served(
                members, trials_by_id, {best["_id"]: early_final}, lambda t, s: pool.submit(fit, t, everything, s),
                lambda t: took.get((t, len(everything), seed), 0.0), seed, spent, task)
            final_rows = len(everything)
        seconds["final_refit_wait"] = time.monotonic() - started
    return Announced(kind, pipeline, score, members, final, final_rows, fitted, info, seconds)
