"""TPE through Optuna's ask-and-tell: one conditional distribution over algorithm and its parameters.

The algorithm is a categorical parameter; each algorithm's parameters are prefixed
(``random_forest__max_depth``) and only suggested when that algorithm (and, for conditional
dimensions, their parent value) was chosen. ``constant_liar`` keeps parallel asks apart.
"""

from __future__ import annotations

import warnings
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from zygarde.ml import space as sp

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def distribution(dim: sp.Dimension) -> BaseDistribution:
    if isinstance(dim, sp.FloatDim):
        return FloatDistribution(dim.low, dim.high, log=dim.log)
    if isinstance(dim, sp.IntDim):
        return IntDistribution(dim.low, dim.high, log=dim.log)
    # Optuna's categoricals accept None, bool, int, float, str: exactly our Value type.
    return CategoricalDistribution(list(dim.choices))


class TpeStrategy(BaseStrategy):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sampler = optuna.samplers.TPESampler(
            seed=self.seed, multivariate=True, group=True, constant_liar=True,
            n_startup_trials=int(self.options.get("n_startup_trials", 10)),
        )
        direction = optuna.study.StudyDirection.MAXIMIZE if self.greater_is_better else \
            optuna.study.StudyDirection.MINIMIZE
        self.study = optuna.create_study(direction=direction, sampler=sampler)
        self._trials: dict[int, optuna.trial.Trial] = {}

    def _suggest(self, trial: optuna.trial.Trial) -> tuple[str, dict[str, Any]]:
        algorithm = str(trial.suggest_categorical("algorithm", sorted(self.spaces)))
        params: dict[str, Any] = {}
        for name, dim in sp.ordered(self.spaces[algorithm]):
            if sp.active(dim, params):
                params[name] = trial._suggest(f"{algorithm}__{name}", distribution(dim))
        return algorithm, params

    def propose(self, index: int) -> TrialSpec | None:
        trial = self.study.ask()
        algorithm, params = self._suggest(trial)
        self._trials[index] = trial
        return TrialSpec(index, algorithm, params)

    def tell(self, index: int, result: TrialResult) -> None:
        super().tell(index, result)
        trial = self._trials.pop(index, None)
        if trial is None:
            return
        if result.score is None:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, result.score)

    def rebuild(self, asked: list[TrialSpec], told: dict[int, TrialResult],
                reports: dict[int, list[tuple[int, float]]]) -> None:
        """Re-add every finished trial to a fresh study; running ones are asked for again as needed."""
        for spec in asked:
            self.asked[spec.index] = spec
            result = told.get(spec.index)
            if result is None:
                continue
            self.told[spec.index] = result
            params: dict[str, Any] = {"algorithm": spec.algorithm}
            dists: dict[str, BaseDistribution] = {"algorithm": CategoricalDistribution(sorted(self.spaces))}
            space = self.spaces.get(spec.algorithm, {})
            for name, value in spec.params.items():
                if name in space:
                    params[f"{spec.algorithm}__{name}"] = value
                    dists[f"{spec.algorithm}__{name}"] = distribution(space[name])
            state = optuna.trial.TrialState.FAIL if result.score is None else optuna.trial.TrialState.COMPLETE
            try:
                self.study.add_trial(optuna.trial.create_trial(
                    params=params, distributions=dists, value=result.score, state=state))
            except ValueError:
                continue  # a stored value outside today's space: skip it rather than fail the job
