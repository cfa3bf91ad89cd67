"""Cost-aware search across algorithms, the default strategy (the ideas of FLAML's CFO and ECI,
auto-sklearn's successive halving on rows, and a learned warm-start portfolio).

1. **Portfolio first.** The members of option ``portfolio`` (``(algorithm, params)``, cheapest first; the
   planner passes ``zygarde/ml/portfolio/<task>.json``; without one the algorithms' defaults) of cheap
   families (prior cost at most :data:`CHEAP`) are asked in order. A dear family's members wait until ECI
   picks that family: they are its first proposals then.
2. **Which algorithm next: estimated cost for improvement (ECI).** Per algorithm, from the results told
   so far: ``max(cost spent since its last improvement, cost of that improvement step)``, raised to
   ``2 * gap / speed`` when its best trails the overall best by ``gap``. A trial in flight counts as spent
   at the algorithm's expected cost (its median measured seconds), and divides its speed. An algorithm
   not tried yet is estimated at its prior relative cost (:data:`COST`) in the seconds the tried ones
   took; when it has the smallest estimate it runs, otherwise an algorithm is drawn with probability
   ``1 / ECI``. Cheap families go first; expensive ones (CatBoost, forests) enter once the cheap ones stall.
   Two guards keep the fastest family from taking every trial on small data: a trial costs at least one
   ``max_trials``-th of the budget (trials, not seconds, run out there), and only a gain of more than
   :data:`IMPROVE` of the score counts as an improvement (a CV mean moving in its fourth digit is noise).
   An algorithm whose local search has settled (step below :data:`STEP_MIN`) leaves the draw while
   another can still move.
3. **Where: local search around the algorithm's incumbent** (FLOW2): the incumbent moved by ``step * u``
   in the unit cube of its space (log dimensions on a log scale), ``u`` a random unit direction, then by
   ``-u``; the step shrinks after ``2 d`` proposals without a better incumbent, and below a floor the
   algorithm has converged and draws random points instead.
4. **Rows as fidelity.** With option ``train_rows`` at least twice :data:`FIRST_ROWS`, trials explore on a
   fixed, nested, stratified subsample of ``FIRST_ROWS`` rows (x :data:`GROWTH` per rung, the last rung
   every row); a configuration in the top ``1 / PROMOTE`` of its rung (once ``PROMOTE`` results are
   there) is asked again on the next rung. Scores are only compared within a rung; ECI looks at the first.
   When exploring ends, the best few of each rung not yet promoted go on, so the winner has every row.
5. **Folds as fidelity.** After :data:`PRUNE_AT` folds, an exploring trial whose running score is below
   the median of every trial's at that fold stops (Optuna's median pruner); its partial score is what
   the search learns from it. The portfolio's members always finish.
6. **When to stop.** ``max_trials``; ``PATIENCE`` exploring trials in a row without a better score once
   every algorithm was tried (converged); and without ``time_budget_s``, a default budget of instance-seconds (see
   :func:`default_budget_s`). The planner's deadline covers ``time_budget_s`` itself.

Everything ``ask`` decides is a function of the seed and of what was asked and told (never of the order
results arrived in), so ``rebuild`` is the base one and a restarted planner asks the same next trials.
"""

from __future__ import annotations

import json
import math
import random
import statistics
from dataclasses import dataclass, field
from typing import Any

from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from zygarde.ml import space as sp

FIRST_ROWS = 10_000  # rows of the first rung (FLAML's first sample size)
GROWTH = 4  # rows grow x4 per rung
PROMOTE = 3  # the top third of a rung goes on to the next
FINAL_PROMOTIONS = 3  # when exploring ends, the best 3 of each rung not promoted yet go on
PATIENCE = 12  # exploring trials in a row without a better first-rung score: converged
PRUNE_AT = 2  # folds after which an exploring trial is judged against the others at that fold ...
PRUNE_MIN = 4  # ... once this many have been (a median of fewer says little)
IMPROVE = 1e-3  # a better score is an improvement when it gains more than this share (see better)
STEP_MIN = 0.02  # a local search with a smaller step has converged
BUDGET_FACTOR = 10.0  # default budget: 10x the instance-seconds the portfolio took ...
BUDGET_MIN_S = 60.0  # ... and at least a minute
CHEAP = 5.0  # families up to this prior cost start in the portfolio phase; dearer ones when ECI picks them

# Relative cost of one trial per algorithm (a prior, before any measured second; roughly FLAML's
# ``cost_relative2lgbm`` with our own catalog's early stopping and tree bounds). Unknown names: 5.
COST: dict[str, float] = {
    "ridge": 0.5, "lasso": 0.7, "elastic_net": 0.7, "naive_bayes": 0.5, "logistic_regression": 1.0, "sgd": 1.0,
    "decision_tree": 1.0, "knn": 2.0, "hist_gradient_boosting": 3.0, "extra_trees": 6.0, "random_forest": 8.0,
    "gradient_boosting": 10.0, "svm": 10.0, "mlp": 10.0, "catboost": 15.0,
}


def rungs(train_rows: int | None) -> list[int | None]:
    """Rows per rung, ``None`` (every row) last: ``[10000, 40000, None]`` for 100,000 rows; ``[None]``
    below twice the first rung (a subsample would save too little to be worth a second trial)."""
    if not train_rows or train_rows < 2 * FIRST_ROWS:
        return [None]
    out: list[int | None] = []
    rows = FIRST_ROWS
    while rows * 2 <= train_rows:
        out.append(rows)
        rows *= GROWTH
    return [*out, None]


def key(algorithm: str, params: dict[str, Any]) -> str:
    return algorithm + json.dumps(params, sort_keys=True, default=str)


def default_budget_s(portfolio_seconds: float) -> float:
    """Instance-seconds ``auto`` spends when the job sets no ``time_budget_s``: ``BUDGET_FACTOR`` times what
    its portfolio took (the portfolio is a fair sample of what a trial costs on this data), at least
    ``BUDGET_MIN_S``."""
    return max(BUDGET_MIN_S, BUDGET_FACTOR * portfolio_seconds)


@dataclass
class _Algo:
    """One algorithm's first-rung trials, in index order."""

    done: list[tuple[int, float | None, float]] = field(default_factory=list)  # (index, signed score, seconds)
    flight: int = 0

    def best(self) -> tuple[int, float] | None:
        """The incumbent: the first trial no later one beat by more than :func:`better`'s margin."""
        out: tuple[int, float] | None = None
        for i, s, _ in self.done:
            if s is not None and (out is None or better(s, out[1])):
                out = (i, s)
        return out


def better(score: float, than: float) -> bool:
    """An improvement worth the name: by more than ``IMPROVE`` of the score (of 0.1 near zero). A CV mean
    that moves in the fourth digit is noise; counted as progress it keeps the fastest family's search
    "improving" trial after trial, and ECI gives it every trial."""
    return score > than + IMPROVE * max(abs(than), 0.1)


class AutoStrategy(BaseStrategy):
    """Options: ``portfolio`` (``(algorithm, params)`` asked first; default: ``initial``), ``train_rows`` (the
    training part's rows; unset: no subsamples), ``time_budget_s`` (unset: :func:`default_budget_s`)."""

    def __init__(self, spaces: dict[str, sp.Space], **kwargs: Any) -> None:
        super().__init__(spaces, **kwargs)
        raw = self.options.get("portfolio")
        members = self.initial if not raw else [(a, dict(p)) for a, p in raw if a in spaces]
        defaults = {a: p for a, p in self.initial}
        self.portfolio: list[tuple[str, dict[str, Any]]] = []
        seen: set[str] = set()
        for algorithm, params in members:
            point = self._project(algorithm, params, defaults.get(algorithm, {}))
            if key(algorithm, point) not in seen:
                seen.add(key(algorithm, point))
                self.portfolio.append((algorithm, point))
        self.warm = [(a, p) for a, p in self.portfolio if COST.get(a, 5.0) <= CHEAP]
        self._members = {key(a, p) for a, p in self.portfolio}
        train_rows = self.options.get("train_rows")
        self.rungs = rungs(int(train_rows) if train_rows else None)
        budget = self.options.get("time_budget_s")
        self.time_budget_s = float(budget) if budget else None
        self.at_fold: dict[int, dict[int, float]] = {}  # rung -> index -> signed score after PRUNE_AT folds
        self.pruned: dict[int, float] = {}  # index -> the score after PRUNE_AT folds it was stopped with

    def _project(self, algorithm: str, params: dict[str, Any], fallback: dict[str, Any]) -> dict[str, Any]:
        """``params`` as a point of the algorithm's space: each value moved into its dimension, a missing
        one from ``fallback`` (its defaults) or the dimension's centre; inactive ones dropped."""
        point: dict[str, Any] = {}
        for name, dim in sp.ordered(self.spaces[algorithm]):
            if sp.active(dim, point):
                point[name] = sp.nearest(dim, params.get(name, fallback.get(name)))
        return point

    # ------------------------------------------------------------------ ask and tell

    def ask(self, n: int) -> list[TrialSpec]:
        out: list[TrialSpec] = []
        while len(out) < n and self.room > 0:
            spec = self._next()
            if spec is None:
                break
            self.asked[spec.index] = spec
            out.append(spec)
        return out

    def tell(self, index: int, result: TrialResult) -> None:
        if index in self.told:
            return
        partial = self.pruned.get(index)
        if result.score is None and partial is not None:  # a stopped trial teaches its partial score
            result = TrialResult(partial, result.seconds)
        self.told[index] = result

    def report(self, index: int, step: int, score: float) -> bool:
        """Folds as fidelity (Optuna's median pruner): after ``PRUNE_AT`` folds an exploring trial whose
        running score is below the median of every trial's at that fold (same rung) stops; once ``PRUNE_MIN``
        have reported. The portfolio's members always finish: they are the ensemble's diverse base."""
        if index in self.pruned:
            return True
        spec = self.asked.get(index)
        if step != PRUNE_AT or spec is None or index in self.told or math.isnan(score):
            return False
        signed = score if self.greater_is_better else -score
        here = self.at_fold.setdefault(self._rung_of(spec), {})
        here[index] = signed
        if len(here) < PRUNE_MIN or key(spec.algorithm, spec.params) in self._members:
            return False
        if signed < statistics.median(here.values()):
            self.pruned[index] = score
            return True
        return False

    def rebuild(self, asked: list[TrialSpec], told: dict[int, TrialResult],
                reports: dict[int, list[tuple[int, float]]]) -> None:
        """The base rebuild, with the stored reports at ``PRUNE_AT`` replayed first (index order)."""
        for spec in sorted(asked, key=lambda s: s.index):
            self.asked[spec.index] = spec
        for index in sorted(reports):
            for step, score in reports[index]:
                if step != PRUNE_AT:
                    continue
                if index in told and told[index].score is not None:  # it finished: it was not stopped
                    finished = self.asked.get(index)
                    if finished is not None:
                        self.at_fold.setdefault(self._rung_of(finished), {})[index] = \
                            score if self.greater_is_better else -score
                else:
                    self.report(index, step, score)
        for index in sorted(told):
            self.tell(index, told[index])

    @property
    def exhausted(self) -> bool:
        return self.room == 0 or self._next() is None

    # ------------------------------------------------------------------ what the history says

    def _signed(self, result: TrialResult | None) -> float | None:
        if result is None or result.score is None or math.isnan(result.score):
            return None
        return float(result.score) if self.greater_is_better else -float(result.score)

    def _rung_of(self, spec: TrialSpec) -> int:
        return self.rungs.index(spec.rows) if spec.rows in self.rungs else 0

    def _at_rung(self, rung: int) -> list[tuple[TrialSpec, float]]:
        """The scored trials of a rung, best first (ties: the earlier index)."""
        scored = [(s, self._signed(self.told.get(i))) for i, s in self.asked.items() if self._rung_of(s) == rung]
        return sorted(((s, v) for s, v in scored if v is not None), key=lambda t: (-t[1], t[0].index))

    def _asked_keys(self, rung: int) -> set[str]:
        return {key(s.algorithm, s.params) for s in self.asked.values() if self._rung_of(s) == rung}

    def _promotion(self, final: bool) -> TrialSpec | None:
        """The next configuration to ask on a higher rung: the highest rung first, best first."""
        for rung in reversed(range(len(self.rungs) - 1)):
            ranked = self._at_rung(rung)
            top = min(FINAL_PROMOTIONS, len(ranked)) if final else len(ranked) // PROMOTE
            above = self._asked_keys(rung + 1)
            for spec, _ in ranked[:top]:
                if key(spec.algorithm, spec.params) not in above:
                    return TrialSpec(self.next_index, spec.algorithm, dict(spec.params), self.rungs[rung + 1])
        return None

    def _promotions_owed(self) -> int:
        """Trials the final promotions still need: the best few of each rung not yet on the next one
        (counted as owed while a rung has fewer results than that)."""
        owed = 0
        for rung in range(len(self.rungs) - 1):
            above = self._asked_keys(rung + 1)
            top = self._at_rung(rung)[:FINAL_PROMOTIONS]
            owed += FINAL_PROMOTIONS - sum(key(s.algorithm, s.params) in above for s, _ in top)
        return owed

    def _first_rung(self) -> tuple[dict[str, _Algo], list[tuple[int, float | None]]]:
        """Per algorithm its first-rung trials; and every finished first-rung trial in index order."""
        algos = {a: _Algo() for a in sorted(self.spaces)}
        finished: list[tuple[int, float | None]] = []
        for index in sorted(self.asked):
            spec = self.asked[index]
            if self._rung_of(spec) != 0 or spec.algorithm not in algos:
                continue
            result = self.told.get(index)
            if result is None:
                algos[spec.algorithm].flight += 1
                continue
            score = self._signed(result)
            algos[spec.algorithm].done.append((index, score, float(result.seconds or 0.0)))
            finished.append((index, score))
        return algos, finished

    def _converged(self, finished: list[tuple[int, float | None]]) -> bool:
        """``PATIENCE`` finished exploring trials in a row (by index, after the portfolio) without a
        better first-rung score than every earlier one."""
        best: float | None = None
        since = 0
        for position, (_, score) in enumerate(finished):
            if score is not None and (best is None or score > best + 1e-4 * max(1.0, abs(best))):
                best, since = score, 0
            elif position >= len(self.warm):
                since += 1
        return since >= PATIENCE

    def _warm_seconds(self) -> float | None:
        """Instance-seconds the portfolio's cheap members took; None while one of them is still running."""
        members = {key(a, p) for a, p in self.warm}
        warm = 0.0
        for index, spec in self.asked.items():
            if key(spec.algorithm, spec.params) in members and self._rung_of(spec) == 0:
                result = self.told.get(index)
                if result is None:
                    return None
                warm += float(result.seconds or 0.0)
        return warm

    def _within_budget(self) -> bool:
        """Without ``time_budget_s``: the instance-seconds told so far are under the default budget, which
        the cost of the portfolio's cheap members sets once each has a result."""
        if self.time_budget_s is not None:
            return True
        warm = self._warm_seconds()
        if warm is None:
            return True  # the portfolio is still running
        spent = sum(float(r.seconds or 0.0) for i, r in self.told.items() if i in self.asked)
        return spent < default_budget_s(warm)

    def _trial_floor(self) -> float:
        """The least a trial costs in ECI: one ``max_trials``-th of the budget. On small data every trial
        takes a second or two and the job runs out of trials long before seconds; there an algorithm whose
        trials are five times faster is no cheaper a way to improve, each of them uses up one of the few
        trials the job has, and without the floor the fastest family takes nearly all of them."""
        budget = self.time_budget_s if self.time_budget_s is not None else default_budget_s(self._warm_seconds() or 0.0)
        return budget / max(1, self.max_trials)

    # ------------------------------------------------------------------ the next trial

    def _next(self) -> TrialSpec | None:
        promoted = self._promotion(final=False)
        if promoted is not None:
            return promoted
        explore = self._explore()
        if explore is not None:
            return explore
        return self._promotion(final=True)

    def _explore(self) -> TrialSpec | None:
        if self.room <= self._promotions_owed():
            return None
        first_rows = self.rungs[0]
        asked = self._asked_keys(0)
        for algorithm, params in self.warm:
            if key(algorithm, params) not in asked:
                return TrialSpec(self.next_index, algorithm, dict(params), first_rows)
        algos, finished = self._first_rung()
        untried = any(not al.done and not al.flight for al in algos.values())
        if (self._converged(finished) and not untried) or not self._within_budget():
            return None  # converged once every algorithm had its chance; or the default budget is spent
        algorithm = self._choose(algos)
        for member, params in self.portfolio:  # a dear family starts from its portfolio members
            if member == algorithm and key(member, params) not in asked:
                return TrialSpec(self.next_index, algorithm, dict(params), first_rows)
        rng = random.Random(f"{self.seed}:auto:{self.next_index}")
        params = self._local(algorithm, algos[algorithm], rng)
        if key(algorithm, params) in asked:
            params = sp.sample(self.spaces[algorithm], rng)  # a repeat teaches nothing: a random point instead
        return TrialSpec(self.next_index, algorithm, params, first_rows)

    def _choose(self, algos: dict[str, _Algo]) -> str:
        """The algorithm with the smallest ECI when it is untried, else one drawn with p ~ 1/ECI."""
        seconds = [sec / COST.get(a, 5.0) for a, al in algos.items() for _, _, sec in al.done if sec > 0]
        unit = statistics.median(seconds) if seconds else 1.0  # seconds per unit of prior cost
        floor = self._trial_floor()

        def expected(a: str) -> float:
            measured = [sec for _, _, sec in algos[a].done if sec > 0]
            return max(floor, statistics.median(measured) if measured else COST.get(a, 5.0) * unit)

        overall = max((b[1] for al in algos.values() if (b := al.best()) is not None), default=None)
        total = sum(max(sec, floor) for al in algos.values() for _, _, sec in al.done) + 1e-9
        eci: dict[str, float] = {}
        for a, al in algos.items():
            cost = expected(a)
            if not al.done:
                eci[a] = cost * (1 + al.flight)
                continue
            spent, t_best, t_old, best, gain = 0.0, 0.0, 0.0, None, 0.0
            for _, score, sec in al.done:
                spent += max(sec, floor)
                if score is not None and (best is None or better(score, best)):
                    gain = math.inf if best is None else score - best  # a first score: speed unknown (FLAML)
                    best, t_old, t_best = score, t_best, spent
            spent += al.flight * cost
            value = max(spent - t_best, t_best - t_old, cost)
            if overall is not None and (best is None or best < overall):
                gap = overall - best if best is not None else abs(overall) + 1.0
                speed = gain / max(t_best - t_old, 1e-9) / (1 + al.flight)
                if math.isfinite(speed):
                    value = max(value, min(2 * gap / speed, 10 * total) if speed > 0 else 10 * total)
            eci[a] = value
        # an algorithm whose local search has converged leaves the draw while another can still move
        # (FLAML's converged threads): its further trials would be random points, rarely near its best
        moving = [a for a in sorted(eci) if not self._settled(a, algos[a])]
        if moving:
            eci = {a: eci[a] for a in moving}
        smallest = min(sorted(eci), key=lambda a: eci[a])
        if not algos[smallest].done and not algos[smallest].flight:
            return smallest
        tried = [a for a in sorted(eci) if algos[a].done or algos[a].flight]
        rng = random.Random(f"{self.seed}:choose:{self.next_index}")
        return rng.choices(tried, weights=[1.0 / max(eci[a], 1e-9) for a in tried])[0]

    def _since_best(self, algorithm: str, al: _Algo) -> list[int]:
        """First-rung proposals of the algorithm after its incumbent, in index order."""
        best = al.best()
        after = -1 if best is None else best[0]
        return sorted(i for i, s in self.asked.items() if s.algorithm == algorithm and self._rung_of(s) == 0
                      and i > after)

    def _step(self, algorithm: str, proposals: int) -> float:
        """FLOW2's step after ``proposals`` proposals without a better incumbent: halved every ``2 d``."""
        dims = max(1, len(self.spaces[algorithm]))
        return 0.1 * math.sqrt(dims) * 0.5 ** (proposals // (2 * dims))

    def _settled(self, algorithm: str, al: _Algo) -> bool:
        return al.best() is not None and self._step(algorithm, len(self._since_best(algorithm, al))) < STEP_MIN

    def _local(self, algorithm: str, al: _Algo, rng: random.Random) -> dict[str, Any]:
        """FLOW2's next point around the algorithm's incumbent (a random point once it has converged)."""
        space = self.spaces[algorithm]
        best = al.best()
        if best is None:
            return sp.sample(space, rng)
        incumbent = self.asked[best[0]].params
        own = self._since_best(algorithm, al)
        k = len(own)  # proposals since the incumbent was found
        step = self._step(algorithm, k)
        if step < STEP_MIN:
            return sp.sample(space, rng)
        if k % 2 == 1:  # the mirror of the previous proposal's direction
            direction = {name: -v for name, v in _direction(self.seed, own[-1], space).items()}
        else:
            direction = _direction(self.seed, self.next_index, space)
        point: dict[str, Any] = {}
        for name, dim in sp.ordered(space):
            if not sp.active(dim, point):
                continue
            current = incumbent.get(name)
            if isinstance(dim, sp.CategoricalDim):
                moved = rng.random() < step and k % 2 == 0 and len(dim.choices) > 1
                others = [c for c in dim.choices if c != current]
                point[name] = rng.choice(others) if moved else sp.nearest(dim, current)
            else:
                unit = _to_unit(dim, sp.nearest(dim, current)) + step * direction[name]
                point[name] = _from_unit(dim, min(1.0, max(0.0, unit)))
        return point


def _direction(seed: int, index: int, space: sp.Space) -> dict[str, float]:
    """A random unit direction over the numeric dimensions, a function of (seed, index) only."""
    rng = random.Random(f"{seed}:direction:{index}")
    raw = {name: rng.gauss(0.0, 1.0) for name, dim in sorted(space.items()) if not isinstance(dim, sp.CategoricalDim)}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {name: v / norm for name, v in raw.items()}


def _to_unit(dim: sp.FloatDim | sp.IntDim, value: Any) -> float:
    low, high, v = float(dim.low), float(dim.high), float(value)
    if high <= low:
        return 0.5
    if dim.log:
        return (math.log(v) - math.log(low)) / (math.log(high) - math.log(low))
    return (v - low) / (high - low)


def _from_unit(dim: sp.FloatDim | sp.IntDim, u: float) -> Any:
    low, high = float(dim.low), float(dim.high)
    value = math.exp(math.log(low) + u * (math.log(high) - math.log(low))) if dim.log else low + u * (high - low)
    return sp.nearest(dim, value)
