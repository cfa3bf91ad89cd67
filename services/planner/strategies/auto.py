"""Cost-aware search across algorithms, the default strategy (the ideas of FLAML's CFO and ECI,
auto-sklearn's successive halving on rows, and a learned warm-start portfolio).

1. **Portfolio first.** The members of option ``portfolio`` (``(algorithm, params)``, cheapest first; the
   planner passes ``zygarde/ml/portfolio/<task>.json``; without one the algorithms' defaults) of cheap
   families (prior cost at most :data:`CHEAP`) are asked in order. A dear family's members wait until ECI
   picks that family: they are its first proposals then; on a training part of at most :data:`SMALL_ROWS`
   rows each dear family's first member is asked in order with the cheap ones. When ECI picks a family, its
   members not asked yet come first, then its defaults (option ``initial``) when no member is them.
2. **Which algorithm next: estimated cost for improvement** (ECI, :mod:`._eci`). An untried algorithm
   with the smallest estimate runs, otherwise one is drawn with probability ``1 / ECI``: cheap families
   go first, dear ones (CatBoost, forests) enter once the cheap ones stall. A trial costs at least one
   ``max_trials``-th of the budget (on small data trials, not seconds, run out), and an algorithm whose
   local search has settled leaves the draw while another can still move.
3. **Where: local search around the algorithm's incumbent** (FLOW2, :mod:`._flow2`).
4. **Rows as fidelity.** With option ``train_rows`` at least twice :data:`._rungs.FIRST_ROWS`, trials explore on a
   fixed, nested, stratified subsample of ``FIRST_ROWS`` rows (x :data:`._rungs.GROWTH` per rung, the last rung
   every row); a configuration in the top ``1 / PROMOTE`` of its rung (once ``PROMOTE`` results are
   there) is asked again on the next rung. Scores are only compared within a rung; ECI looks at the first.
   When exploring ends, the best few of each rung not yet promoted go on, so the winner has every row.
5. **Folds as fidelity** (:mod:`._pruning`). After two folds, an exploring trial whose running score is below
   the median of every trial's at that fold stops (Optuna's median pruner); its partial score is what
   the search learns from it. The portfolio's members always finish.
6. **When to stop.** ``max_trials``; ``PATIENCE`` exploring trials in a row without a better score once
   every algorithm was tried (converged); and without ``time_budget_s``, a default budget of instance-seconds (see
   :func:`default_budget_s`) that bends to the search's progress (:func:`budget_state`): from half of it on, the
   search stops once the second half of what it spent brought no better score (an algorithm not tried yet
   gets one trial first), and it goes on past it, up to :data:`._budget.BUDGET_STRETCH` times, while its best still
   improves. The planner's deadline covers ``time_budget_s`` itself.

Everything ``ask`` decides is a function of the seed and of what was asked and told (never of the order
results arrived in); a stop depends on the reports before it, which ``rebuild`` replays in index order.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

from services.planner.strategies import _eci, _flow2
from services.planner.strategies._base import TrialResult, TrialSpec
from services.planner.strategies._budget import budget_state, default_budget_s
from services.planner.strategies._pruning import MedianPruning
from services.planner.strategies._rungs import rungs
from zygarde.ml import space as sp

PROMOTE = 3  # the top third of a rung goes on to the next
FINAL_PROMOTIONS = 3  # when exploring ends, the best 3 of each rung not promoted yet go on
PATIENCE = 12  # exploring trials in a row without a better first-rung score: converged
CHEAP = 5.0  # families up to this prior cost start in the portfolio phase; dearer ones when ECI picks them
SMALL_ROWS = 5_000  # ... on a training part of at most this many rows, each dear family's first member too


def key(algorithm: str, params: dict[str, Any]) -> str:
    return algorithm + json.dumps(params, sort_keys=True, default=str)


class AutoStrategy(MedianPruning):
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
        raw_rows = self.options.get("train_rows")
        train_rows = int(raw_rows) if raw_rows else None
        # On small data a dear family's trial costs about what a cheap one does (seconds), the job runs out
        # of trials before seconds, and the portfolio was built on samples of this size: every family starts
        # in the portfolio phase, with one member (all of them first spent trials the search needed later).
        small = train_rows is not None and train_rows <= SMALL_ROWS
        firsts = {a: p for a, p in reversed(self.portfolio)}
        self.warm = [(a, p) for a, p in self.portfolio
                     if _eci.COST.get(a, 5.0) <= CHEAP or (small and firsts[a] is p)]
        self._members = {key(a, p) for a, p in self.portfolio}
        # where each family's own search starts once ECI picks it: its portfolio members, then its defaults
        # (FLAML's init point) when no member is them. A portfolio learned elsewhere can leave one family only
        # members from one corner of its space (every LightGBM member at 30 % of the columns), and a local
        # search started there stays in that corner for the few trials a job has
        own = [(a, self._project(a, p, p)) for a, p in self.initial]
        self.starts = [*self.portfolio, *((a, p) for a, p in own if key(a, p) not in seen)]
        self.rungs = rungs(train_rows)
        budget = self.options.get("time_budget_s")
        self.time_budget_s = float(budget) if budget else None

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

    @property
    def exhausted(self) -> bool:
        return self.room == 0 or self._next() is None

    # ------------------------------------------------------------------ what the history says

    def _signed(self, result: TrialResult | None) -> float | None:
        if result is None or result.score is None or math.isnan(result.score):
            return None
        return self._toward_better(float(result.score))

    def _never_stopped(self, spec: TrialSpec) -> bool:
        return key(spec.algorithm, spec.params) in self._members

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

    def _first_rung(self) -> tuple[dict[str, _eci.Algo], list[tuple[int, float | None]]]:
        """Per algorithm its first-rung trials; and every finished first-rung trial in index order."""
        algos = {a: _eci.Algo() for a in sorted(self.spaces)}
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

    def _budget(self) -> str:
        """Without ``time_budget_s``: :func:`budget_state` of the default budget, which the cost of the
        portfolio's cheap members sets once each has a result (the instance-seconds told so far, and those
        told up to the last better first-rung score, in index order); with it: ``"open"``."""
        if self.time_budget_s is not None:
            return "open"
        warm = self._warm_seconds()
        if warm is None:
            return "open"  # the portfolio is still running
        spent, improved_at, best = 0.0, 0.0, None
        for index in sorted(self.told):
            if index not in self.asked:
                continue
            result = self.told[index]
            spent += float(result.seconds or 0.0)
            score = self._signed(result) if self._rung_of(self.asked[index]) == 0 else None
            if score is not None and (best is None or _eci.better(score, best)):
                best, improved_at = score, spent
        return budget_state(spent, improved_at, default_budget_s(warm))

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
        untried = [a for a in sorted(algos) if not algos[a].done and not algos[a].flight]
        budget = self._budget()
        if (self._converged(finished) and not untried) or budget == "spent" or (budget == "plateau" and not untried):
            return None  # converged once every algorithm had its chance; or the default budget is spent
        algorithm = self._choose(algos) if budget == "open" else self._choose({a: algos[a] for a in untried})
        for member, params in self.starts:  # a family starts from its portfolio members, then its defaults
            if member == algorithm and key(member, params) not in asked:
                return TrialSpec(self.next_index, algorithm, dict(params), first_rows)
        rng = random.Random(f"{self.seed}:auto:{self.next_index}")
        params = self._local(algorithm, algos[algorithm], rng)
        if key(algorithm, params) in asked:
            params = sp.sample(self.spaces[algorithm], rng)  # a repeat teaches nothing: a random point instead
        return TrialSpec(self.next_index, algorithm, params, first_rows)

    def _choose(self, algos: dict[str, _eci.Algo]) -> str:
        """The algorithm with the smallest ECI when it is untried, else one drawn with p ~ 1/ECI."""
        eci = _eci.estimate(algos, self._trial_floor())
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

    def _since_best(self, algorithm: str, al: _eci.Algo) -> list[int]:
        """First-rung proposals of the algorithm after its incumbent, in index order."""
        best = al.best()
        after = -1 if best is None else best[0]
        return sorted(i for i, s in self.asked.items() if s.algorithm == algorithm and self._rung_of(s) == 0
                      and i > after)

    def _settled(self, algorithm: str, al: _eci.Algo) -> bool:
        own = len(self._since_best(algorithm, al))
        return al.best() is not None and _flow2.step(len(self.spaces[algorithm]), own) < _flow2.STEP_MIN

    def _local(self, algorithm: str, al: _eci.Algo, rng: random.Random) -> dict[str, Any]:
        """FLOW2's next point around the algorithm's incumbent (a random point once it has settled)."""
        best = al.best()
        if best is None:
            return sp.sample(self.spaces[algorithm], rng)
        return _flow2.propose(self.spaces[algorithm], self.asked[best[0]].params, self._since_best(algorithm, al),
                              self.seed, self.next_index, rng)
