"""TPE through Optuna's ask-and-tell: one conditional distribution over an algorithm and its parameters.

The algorithm is a categorical parameter; each algorithm's parameters are prefixed
(``random_forest__max_depth``) and only suggested when that algorithm was chosen and the dimension
is active. ``constant_liar`` keeps parallel asks apart; ``group`` splits the conditional space.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from zygarde.ml import space as sp

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

ALGORITHM = "algorithm"


def distribution(dim: sp.Dimension) -> BaseDistribution:
    """The Optuna distribution of one dimension (Optuna's categoricals take exactly our values)."""
    if isinstance(dim, sp.FloatDim):
        return FloatDistribution(dim.low, dim.high, log=dim.log)
    if isinstance(dim, sp.IntDim):
        return IntDistribution(dim.low, dim.high, log=dim.log)
    return CategoricalDistribution(list(dim.choices))


def _value(result: TrialResult) -> float | None:
    """The score Optuna may learn from; None (a failure) for a missing or NaN one."""
    return None if result.score is None or math.isnan(result.score) else float(result.score)


def suggest(trial: optuna.Trial, name: str, dim: sp.Dimension) -> Any:
    if isinstance(dim, sp.FloatDim):
        return trial.suggest_float(name, dim.low, dim.high, log=dim.log)
    if isinstance(dim, sp.IntDim):
        return trial.suggest_int(name, dim.low, dim.high, log=dim.log)
    return trial.suggest_categorical(name, list(dim.choices))


def study_params(algorithm: str, params: dict[str, Any]) -> dict[str, Any]:
    """One of our trials as the study's flat parameters: the algorithm, then its own prefixed."""
    return {ALGORITHM: algorithm, **{f"{algorithm}__{k}": v for k, v in params.items()}}


def startup_trials(max_trials: int) -> int:
    """Optuna's 10 start-up trials, fewer for a small budget (a third of 30 trials spent on random
    draws left TPE too little time to reach RandomizedSearchCV's best): 5 for 30, 10 from 60 on."""
    return min(10, max(4, max_trials // 6))


class TpeStrategy(BaseStrategy):
    """Optuna's multivariate, grouped TPE.

    Options: ``n_startup_trials`` (default :func:`startup_trials`) before TPE models the results, random except
    for ``initial``: ``(algorithm, params)`` points asked first, in order (the planner passes each
    algorithm's library defaults), through Optuna's ``enqueue_trial`` so the model learns from them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sampler = optuna.samplers.TPESampler(
            seed=self.seed, multivariate=True, group=True, constant_liar=True,
            n_startup_trials=int(self.options.get("n_startup_trials", startup_trials(self.max_trials))))
        self.study = optuna.create_study(direction="maximize" if self.greater_is_better else "minimize",
                                         sampler=sampler)
        self._numbers: dict[int, int] = {}  # our trial index -> Optuna's trial number, until told
        self._enqueued = False

    def _enqueue_initial(self) -> None:
        """Queue the initial points not asked yet (after a restart, those its history lacks), once."""
        if self._enqueued:
            return
        self._enqueued = True
        for algorithm, params in self.initial[self.next_index:]:
            self.study.enqueue_trial(study_params(algorithm, params), skip_if_exists=False)

    def _distributions(self, algorithm: str, params: dict[str, Any]) -> dict[str, BaseDistribution]:
        dists: dict[str, BaseDistribution] = {ALGORITHM: CategoricalDistribution(sorted(self.spaces))}
        for name, dim in self.spaces[algorithm].items():
            if name in params:
                dists[f"{algorithm}__{name}"] = distribution(dim)
        return dists

    def ask(self, n: int) -> list[TrialSpec]:
        self._enqueue_initial()
        out: list[TrialSpec] = []
        for _ in range(min(n, self.room)):
            trial = self.study.ask()
            algorithm = str(trial.suggest_categorical(ALGORITHM, sorted(self.spaces)))
            params: dict[str, Any] = {}
            for name, dim in sp.ordered(self.spaces[algorithm]):
                if sp.active(dim, params):
                    params[name] = suggest(trial, f"{algorithm}__{name}", dim)
            spec = TrialSpec(self.next_index, algorithm, params)
            self.asked[spec.index] = spec
            self._numbers[spec.index] = trial.number
            out.append(spec)
        return out

    def tell(self, index: int, result: TrialResult) -> None:
        if index in self.told:
            return
        self.told[index] = result
        number = self._numbers.pop(index, None)
        if number is None:
            return  # a trial this study never saw (its stored params no longer fit the space)
        score = _value(result)
        if score is None:
            self.study.tell(number, state=TrialState.FAIL)
        else:
            self.study.tell(number, score)

    def rebuild(self, asked: list[TrialSpec], told: dict[int, TrialResult],
                reports: dict[int, list[tuple[int, float]]]) -> None:
        """Re-add finished trials to the study (the TPE model) and open ones as RUNNING (the liar's)."""
        for spec in sorted(asked, key=lambda s: s.index):
            self.asked[spec.index] = spec
            result = told.get(spec.index)
            if result is not None:
                self.told[spec.index] = result
            score = None if result is None else _value(result)
            state = TrialState.RUNNING if result is None else (
                TrialState.FAIL if score is None else TrialState.COMPLETE)
            params = study_params(spec.algorithm, spec.params)
            try:
                dists = self._distributions(spec.algorithm, spec.params)
                self.study.add_trial(optuna.trial.create_trial(
                    params=params, distributions=dists, value=score, state=state))
            except (KeyError, ValueError):
                continue  # a stored trial outside today's space: skip it rather than fail the job
            if state == TrialState.RUNNING:
                self._numbers[spec.index] = len(self.study.get_trials(deepcopy=False)) - 1
