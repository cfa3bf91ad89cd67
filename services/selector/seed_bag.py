"""Seed bags: the model a job serves fits each of its seed-dependent members with several seeds and
averages them.

A boosted model early-stopped on an inner split, a forest, a booster sampling rows and columns: each fit
is one draw of its seed (which rows early stopping held out, so how many trees are kept; which rows and
columns each tree saw). On a few thousand rows one configuration's test score moves with the seed by more
than the gaps between a job's best trials, and the served model was a single draw. The mean of fits with
several seeds keeps the configuration and takes out much of that spread (seed bagging; AutoGluon's bagged
models likewise average several fits of one configuration, each on other rows).

Only the final refit on every row (``final_refit=all``) is bagged: the holdout score stays the one of the
single fit on the training part that the selection compared. A member whose fit does not depend on its
seed (``Algorithm.seed_varies`` false: a linear model, naive Bayes) is fitted once. The extra fits come at
the end of a job, so their number is bounded by their cost, measured on the members' first fits on every row
(an early-stopped booster's final fit is two fits, and its trials' CV fits say less about it): at most
:data:`SHARE` of the fit seconds the search spent (or :data:`FREE_SECONDS`), and at most :data:`MAX_SEEDS`
fits a member.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from zygarde.ml import algorithms, ensemble

MAX_SEEDS = 5  # the spread of a mean of k fits falls as 1/sqrt(k): most of it is gone by five
SHARE = 0.2  # the extra fits may cost at most this share of the fit seconds the search spent ...
FREE_SECONDS = 2.0  # ... or this many seconds, whichever is more
SEED_STEP = 7919  # the extra fits' seeds: the job's seed + j * SEED_STEP


def varies(algorithm: str) -> bool:
    """Whether a fit of ``algorithm`` depends on its seed (unknown names: no)."""
    try:
        return algorithms.get(algorithm).seed_varies
    except KeyError:
        return False


def fits_each(seconds: Sequence[float], spent: float) -> int:
    """Fits each seed-dependent member gets, from one fit of each of them (``seconds``, on every row) and
    the search's fit seconds: one, plus as many rounds of one more fit each as :data:`SHARE` of ``spent``
    (at least :data:`FREE_SECONDS`) pays for, at most :data:`MAX_SEEDS`; one without such a member."""
    if not seconds:
        return 1
    one_round = sum(seconds)
    if one_round <= 0.0:
        return MAX_SEEDS
    return max(1, min(MAX_SEEDS, 1 + int(max(SHARE * spent, FREE_SECONDS) / one_round)))


def served(members: Sequence[dict[str, Any]], trials: Mapping[str, dict[str, Any]], started: Mapping[str, Future[Any]],
           submit: Callable[[dict[str, Any], int], Future[Any]], took: Callable[[str], float], seed: int,
           spent: float, task: str) -> tuple[Any, list[dict[str, Any]]]:
    """The model to serve from the announced ``members`` (``trial_id``, ``algorithm``, ``weight``): each
    member fitted on every row with the job's seed (``started``: those fits already submitted;
    ``submit(trial, seed)`` submits one) and, once those are done and ``took(trial_id)`` says what each
    cost, the seed-dependent members' extra fits; every fit weighs its member's weight over its count.
    Also the fits each member got (``trial_id``, ``fits``). One fit of one member is served as that pipeline."""
    own = {m["trial_id"]: started.get(m["trial_id"]) or submit(trials[m["trial_id"]], seed) for m in members}
    fitted = {t: [future.result()] for t, future in own.items()}
    varying = [m["trial_id"] for m in members if varies(m["algorithm"])]
    k = fits_each([took(t) for t in varying], spent)
    extra = {t: [submit(trials[t], seed + j * SEED_STEP) for j in range(1, k)] for t in varying}
    for t, futures in extra.items():
        fitted[t] += [future.result() for future in futures]
    models: list[Any] = []
    weights: list[float] = []
    for m in members:
        fits = fitted[m["trial_id"]]
        models += fits
        weights += [float(m["weight"]) / len(fits)] * len(fits)
    served_model = models[0] if len(models) == 1 else ensemble.WeightedEnsemble(models, weights, task)
    return served_model, [{"trial_id": m["trial_id"], "fits": len(fitted[m["trial_id"]])} for m in members]
