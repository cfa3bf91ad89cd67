"""Time to quality: how soon each search reaches a good model, Zygarde vs in-process baselines.

Side by side in one run, per dataset and seed: Zygarde's ``random``, ``tpe`` and ``asha`` through
the whole stack (planner → Kafka → 2 trainers → selector, services as processes) against
scikit-learn's ``RandomizedSearchCV`` and ``HalvingRandomSearchCV`` and Optuna's
``study.optimize``, all with 2 workers, the same holdout split (the job seed), the same algorithms
and parameter ranges (Zygarde's spaces converted, see ``bench/_quality.py``) and the same pipelines
(``bench/_baselines.py``). Recorded: the best-so-far CV score over wall time (Zygarde: each result's
``stored_at`` in MongoDB) and the winner's holdout score. Compared: the time each method needs to
reach RandomizedSearchCV's best CV score, as a share of RandomizedSearchCV's total time (goal for
Zygarde tpe/asha: ≤ 1/3), and the holdout score against Optuna's (goal: no worse).
"""

from __future__ import annotations

import json
import math
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import _quality as q
from bench._baselines import (
    Problem,
    RunResult,
    holdout_curves,
    run_halving,
    run_optuna,
    run_randomized,
    warm_up,
)
from bench._report import RESULTS, median, write_markdown
from bench._stack import BenchStack, bench_stack
from zygarde import events as ev
from zygarde.ml import algorithms, cv, datasets

MAX_TRIALS = 30
REPEATS = 5  # seeds 1..REPEATS, while the whole benchmark stays within BUDGET_S
BUDGET_S = 20 * 60
FOLDS = 3
GOAL_RATIO = 1 / 3
BASELINE = "RandomizedSearchCV"
REFERENCE = "Optuna TPE"


@dataclass(frozen=True)
class Dataset:
    name: str
    uri: str
    target: str
    metric: str
    algorithms: tuple[Any, ...]  # names or {"name", "space"} objects, as in a job spec


DATASETS = (
    # rare positives (6 %); logistic regression kept to L2 (lbfgs): its elastic-net choices run saga,
    # which takes 10-40 s per trial here and would make the platform's overhead invisible
    Dataset("caravan", "builtin:caravan", "Purchase", "roc_auc",
            ({"name": "logistic_regression", "space": {"C": {"float": [1e-3, 1e3], "log": True}}},
             "hist_gradient_boosting")),
    Dataset("bikeshare", "builtin:bikeshare", "bikers", "rmse", ("ridge", "hist_gradient_boosting")),
)


def job_spec(data: Dataset, strategy: str, seed: int, max_trials: int) -> dict[str, Any]:
    return {"name": f"ttq-{data.name}", "task": datasets.builtin(data.uri).task, "metric": data.metric,
            "dataset": {"uri": data.uri, "target": data.target, "holdout": 0.2},
            "algorithms": list(data.algorithms), "cv": {"folds": FOLDS},
            "search": {"strategy": strategy, "max_trials": max_trials, "max_parallel": 2, "seed": seed}}


def make_problem(data: Dataset, seed: int, max_trials: int) -> Problem:
    """The split and spaces exactly as the planner and selector derive them from the job spec."""
    spec = ev.JobSpec.model_validate(job_spec(data, "random", seed, max_trials))
    task = datasets.builtin(data.uri).task
    train, holdout = cv.split_holdout(datasets.builtin(data.uri).load(), spec.dataset, task, seed)
    overrides = {a.name: a.space for a in spec.algorithms or [] if isinstance(a, ev.AlgorithmChoice)}
    names = [a if isinstance(a, str) else a.name for a in spec.algorithms or []]
    spaces = {n: algorithms.space_for(n, overrides.get(n)) for n in names}
    return Problem(data.name, spec, task, spaces, train, holdout)


def run_zygarde(stack: BenchStack, data: Dataset, problem: Problem, strategy: str, seed: int,
                max_trials: int) -> RunResult:
    """One job through the stack; time zero is just before ``POST /jobs``, the end is ``finished_at``
    (the selector's refit and holdout score of the winner included, as the baselines' refit is)."""
    t0 = time.time()
    job_id = stack.submit(job_spec(data, strategy, seed, max_trials))
    job = stack.wait(job_id, timeout=900, poll_s=0.1)
    if job["status"] != "completed":
        raise RuntimeError(f"zygarde {strategy} job {job_id} ended {job['status']}; logs in {stack.logs}")
    results = list(stack.db.results.find({"job_id": job_id}))
    done = [r for r in results if r["status"] == "completed"]
    best = q.best_configs([(r["stored_at"].timestamp() - t0, float(r["cv_mean"]), q.config_key(r["algorithm"],
                                                                                              r["params"]))
                           for r in done], problem.greater)
    model = stack.db.models.find_one({"_id": job_id})
    assert model is not None
    search_s = max(r["stored_at"].timestamp() for r in results) - t0
    trials = {t["_id"]: t for t in stack.db.trials.find({"job_id": job_id})}
    work = sum(float(t.get("seconds") or 0.0) for t in trials.values())
    # how long each trial waited beyond its own work: queueing, Kafka, MongoDB, the planner's turn
    waits = [r["stored_at"].timestamp() - trials[r["_id"]]["requested_at"].timestamp()
             - float(trials[r["_id"]].get("seconds") or 0.0) for r in results if r["_id"] in trials]
    return RunResult(f"Zygarde {strategy}", seed, [(t, s) for t, s, _ in best], job["finished_at"].timestamp() - t0,
                     float(model["cv_mean"]), float(model["holdout_score"]), len(results),
                     sum(1 for r in results if r.get("reason") == "pruned"), search_s, work / (2 * search_s),
                     statistics.fmean(waits) if waits else None, best_keys=[key for _, _, key in best])


Runner = Callable[[BenchStack, Dataset, Problem, int, int, Path], RunResult]


def _zygarde(strategy: str) -> Runner:
    return lambda stack, data, problem, seed, n, tmp: run_zygarde(stack, data, problem, strategy, seed, n)


def _local(fn: Callable[[Problem, int, int, Path], RunResult]) -> Runner:
    return lambda stack, data, problem, seed, n, tmp: fn(problem, seed, n, tmp)


METHODS: dict[str, Runner] = {
    BASELINE: _local(run_randomized),
    "HalvingRandomSearchCV": _local(run_halving),
    REFERENCE: _local(run_optuna),
    "Zygarde random": _zygarde("random"),
    "Zygarde tpe": _zygarde("tpe"),
    "Zygarde asha": _zygarde("asha"),
}


def _one_seed(seed: int, max_trials: int, order: list[str], tmp: Path) -> dict[tuple[str, str], RunResult]:
    """Every method on every dataset with one seed, on a fresh bench stack (warmed first)."""
    out: dict[tuple[str, str], RunResult] = {}
    try:
        with bench_stack(trainers=2) as stack:
            for data in DATASETS:  # load the dataset into both trainers' caches, import the models
                warm = job_spec(data, "random", 0, 2) | {"algorithms": ["noop"]}
                stack.wait(stack.submit(warm), timeout=300)
            for data in DATASETS:
                problem = make_problem(data, seed, max_trials)
                for name in order:
                    result = METHODS[name](stack, data, problem, seed, max_trials, tmp)
                    out[(data.name, name)] = result
                    print(f"  seed {seed} {data.name:9s} {name:22s} total {result.total_s:6.1f} s  "
                          f"best cv {result.best_cv:.4f}  holdout {result.holdout:.4f}", flush=True)
                holdout_curves(problem, [out[(data.name, name)] for name in order], seed)
    except Exception as exc:
        if len(out) < len(DATASETS) * len(order):
            raise
        # every run finished: only the clean-up (dropping the bench database, topics) met an outage
        print(f"  seed {seed}: clean-up failed ({type(exc).__name__}); its results are kept", flush=True)
    return out


def _wait_for_infrastructure(timeout_s: float = 600) -> None:
    """Until MongoDB and Kafka answer again (other people's fault tests restart them)."""
    from zygarde.bus import BusAdmin
    from zygarde.localstack import kafka_auth
    from zygarde.settings import Settings
    from zygarde.store import connect

    base = Settings()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            connect(base.mongo_uri, timeout_ms=2000).client.admin.command("ping")
            admin = kafka_auth.admin_or_nothing(base)
            BusAdmin(base.kafka_bootstrap, base.topic_prefix, security=admin).ensure_topics()
            time.sleep(5)  # a restart in progress answers, then goes again
            return
        except Exception:  # noqa: BLE001 - anything means "not back yet"
            time.sleep(2)
    raise RuntimeError("MongoDB or Kafka did not come back")


def measure(repeats: int = REPEATS, max_trials: int = MAX_TRIALS) -> tuple[dict[tuple[str, str], list[RunResult]],
                                                                          float]:
    """Every method on every dataset, seeds 1..repeats (fewer if the budget would be passed);
    the order of methods rotates with the seed so no method always runs first. A seed interrupted by
    an outage of the shared broker or database is run again whole, so its methods stay side by side."""
    runs: dict[tuple[str, str], list[RunResult]] = {}
    started = time.monotonic()
    names = list(METHODS)
    with tempfile.TemporaryDirectory() as tmp:
        for data in DATASETS:  # start the loky workers once, untimed
            warm_up(make_problem(data, 0, max_trials), Path(tmp))
        seed = 1
        while seed <= repeats:
            order = names[(seed - 1) % len(names):] + names[: (seed - 1) % len(names)]
            try:
                done = _one_seed(seed, max_trials, order, Path(tmp))
            except Exception as exc:  # noqa: BLE001 - an outage of the shared stack: run the seed again
                print(f"  seed {seed} interrupted ({type(exc).__name__}: {str(exc)[:120]}); running it again",
                      flush=True)
                _wait_for_infrastructure()
                if time.monotonic() - started > 2 * BUDGET_S:
                    raise
                continue
            for key, result in done.items():
                runs.setdefault(key, []).append(result)
            elapsed = time.monotonic() - started
            if seed < repeats and elapsed / seed * (seed + 1) > BUDGET_S:
                print(f"  stopping after {seed} seed(s): another would pass {BUDGET_S / 60:.0f} min", flush=True)
                break
            seed += 1
    if not runs:
        raise RuntimeError("no seed finished")
    return runs, time.monotonic() - started


@dataclass
class Summary:
    """One method on one dataset, medians over seeds; ratios and deltas are per seed, then median."""

    best_cv: float
    holdout: float
    total_s: float
    search_s: float
    busy: float
    reach_s: float | None  # time to the baseline's best CV (None: not reached in most seeds)
    reached: int
    ratio: float | None  # reach_s / the baseline's total time, same seed
    holdout_gain: float  # holdout minus the reference's, signed so positive is better
    trials: float
    pruned: float
    seeds: int
    # the same as ``ratio`` on the holdout: until the best-so-far configuration's holdout score reached
    # that of the baseline's winner (both refitted alike, see ``holdout_curves``)
    holdout_ratio: float | None
    holdout_reached: int


def summarize(runs: dict[tuple[str, str], list[RunResult]], greater: dict[str, bool]) -> dict[tuple[str, str],
                                                                                              Summary]:
    out = {}
    for (data, name), results in runs.items():
        base = {r.seed: r for r in runs[(data, BASELINE)]}
        ref = {r.seed: r for r in runs[(data, REFERENCE)]}
        g = greater[data]
        reach = [q.time_to_reach(r.curve, base[r.seed].best_cv, g) for r in results]
        ratios = [None if t is None else t / base[r.seed].total_s for t, r in zip(reach, results, strict=True)]
        gains = [(r.holdout - ref[r.seed].holdout) * (1 if g else -1) for r in results]
        held = _holdout_ratios(results, base, g)
        out[(data, name)] = Summary(
            median([r.best_cv for r in results]), median([r.holdout for r in results]),
            median([r.total_s for r in results]), median([r.search_s for r in results]),
            _finite_median([r.busy for r in results]), q.median_time(reach), sum(t is not None for t in reach),
            q.median_time(ratios), median(gains), median([r.trials for r in results]),
            median([r.pruned for r in results]), len(results), q.median_time(held),
            sum(r is not None for r in held))
    return out


def _holdout_ratios(results: list[RunResult], base: dict[int, RunResult], greater: bool) -> list[float | None]:
    """Per run: the time its best-so-far configuration's holdout score first reached the holdout score of
    the baseline's winner, over the baseline's total time (None: never)."""
    out = []
    for r in results:
        b = base[r.seed]
        target = b.holdout_curve[-1][1] if b.holdout_curve else b.holdout
        t = q.time_to_reach(r.holdout_curve, target, greater)
        out.append(None if t is None else t / b.total_s)
    return out


def _zygarde_facts(runs: dict[tuple[str, str], list[RunResult]]) -> list[str]:
    """How long each Zygarde trial waited beyond its own work, per dataset and strategy (median of the
    per-run means): queueing behind the other trainer, Kafka, MongoDB and the planner's turn."""
    lines = []
    for data in DATASETS:
        parts = []
        for name in METHODS:
            waits = [r.wait_s for r in runs.get((data.name, name), []) if r.wait_s is not None]
            if waits:
                parts.append(f"{name.removeprefix('Zygarde ')} {median(waits) * 1000:.0f} ms")
        if parts:
            lines.append(f"- {data.name}: " + ", ".join(parts) + ".")
    return lines


def load_runs(path: Path) -> tuple[dict[tuple[str, str], list[RunResult]], float]:
    """The raw runs and the elapsed time a previous ``main`` wrote (to rewrite the report without
    measuring again)."""
    saved = json.loads(path.read_text())
    runs: dict[tuple[str, str], list[RunResult]] = {}
    for doc in saved["runs"]:
        data = doc.pop("dataset")
        doc["curve"] = [tuple(p) for p in doc["curve"]]
        doc["holdout_curve"] = [tuple(p) for p in doc.get("holdout_curve", [])]
        result = RunResult(**doc)
        runs.setdefault((data, result.method), []).append(result)
    return runs, float(saved["elapsed_s"])


def _per_seed(runs: dict[tuple[str, str], list[RunResult]]) -> list[str]:
    """Each seed's figures behind the medians: a median of a few seeds hides how far apart they are."""
    greater = {d.name: _greater(d) for d in DATASETS}
    lines = ["| dataset | method | ÷ RS total, seeds 1..n | on the holdout, seeds 1..n | Δ holdout vs Optuna, "
             "seeds 1..n |", "|---|---|---|---|---|"]
    for data in DATASETS:
        base = {r.seed: r for r in runs.get((data.name, BASELINE), [])}
        ref = {r.seed: r for r in runs.get((data.name, REFERENCE), [])}
        g = greater[data.name]
        for name in (REFERENCE, "Zygarde random", "Zygarde tpe", "Zygarde asha"):
            results = sorted(runs.get((data.name, name), []), key=lambda r: r.seed)
            if not results or not base:
                continue
            ratios = []
            for r in results:
                t = q.time_to_reach(r.curve, base[r.seed].best_cv, g)
                ratios.append("–" if t is None else f"{t / base[r.seed].total_s:.2f}")
            held = ["–" if h is None else f"{h:.2f}" for h in _holdout_ratios(results, base, g)]
            gains = [] if name == REFERENCE else [
                f"{(r.holdout - ref[r.seed].holdout) * (1 if g else -1):+.4f}" for r in results if r.seed in ref]
            lines.append(f"| {data.name} | {name} | {', '.join(ratios)} | {', '.join(held)} | "
                         f"{', '.join(gains) or '-'} |")
    return lines


def _finite_median(values: list[float]) -> float:
    """Median of the measured values (NaN marks one that was not measured)."""
    finite = [v for v in values if not math.isnan(v)]
    return median(finite) if finite else math.nan


def _fmt_s(v: float | None) -> str:
    return "not reached" if v is None else f"{v:.1f} s"


def _fmt_ratio(v: float | None) -> str:
    return "not reached" if v is None else f"{v:.2f}"


def report(runs: dict[tuple[str, str], list[RunResult]], elapsed_s: float) -> list[list[str]]:
    greater = {d.name: _greater(d) for d in DATASETS}
    summary = summarize(runs, greater)
    rows = []
    for data in DATASETS:
        for name in METHODS:
            s = summary.get((data.name, name))
            if s is None:
                continue
            trials = f"{s.trials:.0f}" + (f" ({s.pruned:.0f} pruned)" if s.pruned else "")
            rows.append([f"{data.name} ({data.metric})", name, f"{s.best_cv:.4f}", f"{s.holdout:.4f}",
                         "-" if name == REFERENCE else f"{s.holdout_gain:+.4f}",
                         f"{_fmt_s(s.reach_s)} ({s.reached}/{s.seeds})", _fmt_ratio(s.ratio),
                         f"{_fmt_ratio(s.holdout_ratio)} ({s.holdout_reached}/{s.seeds})",
                         f"{s.total_s:.1f} s ({s.search_s:.1f} s)",
                         "n/a" if math.isnan(s.busy) else f"{s.busy:.0%}", trials])
    goals = _goals(summary)
    seeds = max(len(v) for v in runs.values())
    notes = [
        "## Goals", "", "| figure | measured (median) | goal | met |", "|---|---|---|---|",
        *["| " + " | ".join(g) + " |" for g in goals], "",
        "## How it was measured", "",
        f"Medians over {seeds} seed(s) (seeds 1..{seeds}); every method ran in the same benchmark run, the order "
        f"of methods rotating with the seed. Whole benchmark: {elapsed_s / 60:.1f} min of wall time. "
        f"`max_trials` = {MAX_TRIALS} for every method (HalvingRandomSearchCV: {MAX_TRIALS} candidates, "
        f"factor 3, rows as the resource, its last rung on the whole training part), {FOLDS}-fold CV, "
        "2 workers everywhere (Zygarde: 2 trainers and `max_parallel` 2; sklearn: `n_jobs=2` loky "
        "processes; Optuna: `n_jobs=2` threads), one BLAS/OpenMP thread per fit.",
        "",
        "Same for every method: the holdout split (20 %, the job seed), the algorithms and parameter ranges "
        "(Zygarde's catalog spaces, converted to scipy distributions and Optuna suggestions), the pipelines "
        "(`zygarde.ml.pipeline.build_pipeline`) and the metric code. Optuna runs TPE as its user would set it "
        "up for this conditional space (multivariate, grouped, constant liar) with Optuna's 10 random start-up "
        "trials; Zygarde's `tpe` and `asha` (TPE candidates, pruned at the first fold) first try each "
        "algorithm's own defaults (`search.defaults_first`), then 5 start-up trials for 30 "
        "(`min(10, max(4, max_trials // 6))`). Every method cross-validates every candidate on the same folds "
        "(the job seed); a Zygarde trial seeds its estimator with the trial's own seed (the baselines with the "
        "job seed), which moves gradient boosting's early-stopping split a little.",
        "",
        "*time to RS best*: wall time from the start (Zygarde: just before `POST /jobs`) until the method's "
        "best-so-far CV score first reached RandomizedSearchCV's best CV score of the same seed; *÷ RS total*: "
        "that time over RandomizedSearchCV's total time (search and refit) of the same seed; a seed where it was "
        "not reached counts as infinitely late. *total*: search plus the winner's refit (Zygarde: until the job "
        "is `completed`, which includes the selector's refit, holdout score and diagnostics report). "
        "*search*: until the last trial's result. *workers busy*: the trials' own fit-and-score seconds over "
        "2 × search time (Zygarde: each trial's CV seconds as its trainer measured them; pruned trials count "
        "until they stopped). "
        "*Δ holdout vs Optuna*: the winner's holdout score minus Optuna's, same seed, signed so positive is "
        "better (for rmse a lower error is positive). "
        "*÷ RS total, on the holdout*: the same ratio measured on the holdout instead of the CV: after the "
        "searches of a seed (untimed), every configuration that was a method's best-so-far at some moment is "
        "refitted on the whole training part with the job seed (`cv.fit_final`, the same for every method) "
        "and scored on the holdout; the time is when the method's best-so-far configuration first scored at "
        "least as well as RandomizedSearchCV's winner refitted the same way (the lower panels of the plot: "
        "what a user handed the best model so far would get on unseen rows).",
        "",
        "Nothing else ran on these 2 cores during the run except the local stack's idle services; compare "
        "methods through the ratios and deltas, which were measured side by side in one run.",
        "",
        "How long a Zygarde trial waited beyond its own work (request → result stored, minus the trial's "
        "seconds; median over seeds of each run's mean):",
        "",
        *_zygarde_facts(runs),
        "",
        "Per seed (– : RandomizedSearchCV's best not reached):",
        "",
        *_per_seed(runs),
        "",
        *WHY,
        "",
        "Every run's curve and figures: `time_to_quality.json` (`python -m bench.time_to_quality --report` "
        "rewrites this page and the plot from it).",
        "",
        "![best-so-far CV score, and the holdout score of the best-so-far configuration, over wall time]"
        "(time_to_quality.png)",
    ]
    header = ["dataset", "method", "best CV", "holdout", "Δ holdout vs Optuna", "time to RS best",
              "÷ RS total", "÷ RS total, on the holdout", "total (search)", "workers busy", "trials"]
    write_markdown("time_to_quality", "Time to quality: Zygarde vs RandomizedSearchCV, halving and Optuna",
                   header, rows, notes)
    plot(runs, summary)
    raw = {"elapsed_s": elapsed_s, "runs": [{"dataset": d, **asdict(r)} for (d, _), rs in runs.items() for r in rs]}
    (RESULTS / "time_to_quality.json").write_text(json.dumps(raw, indent=1) + "\n")
    return goals


def _greater(data: Dataset) -> bool:
    from zygarde.ml import metrics

    return metrics.get(data.metric).greater_is_better


def _goals(summary: dict[tuple[str, str], Summary]) -> list[list[str]]:
    goals = []
    for data in DATASETS:
        for name in ("Zygarde tpe", "Zygarde asha"):
            s = summary.get((data.name, name))
            if s is None:
                continue
            met = s.ratio is not None and s.ratio <= GOAL_RATIO
            goals.append([f"{data.name}: {name}, time to RS best ÷ RS total", _fmt_ratio(s.ratio), "≤ 0.33",
                          "yes" if met else "**no**"])
            met = s.holdout_ratio is not None and s.holdout_ratio <= GOAL_RATIO
            goals.append([f"{data.name}: {name}, the same on the holdout", _fmt_ratio(s.holdout_ratio), "≤ 0.33",
                          "yes" if met else "**no**"])
        for name in ("Zygarde random", "Zygarde tpe", "Zygarde asha"):
            s = summary.get((data.name, name))
            if s is None:
                continue
            goals.append([f"{data.name}: {name}, holdout {data.metric} vs Optuna's", f"{s.holdout_gain:+.4f}",
                          "≥ 0 (no worse)", "yes" if s.holdout_gain >= 0 else "**no**"])
    return goals


# Written after reading the results of the run in bench/results (re-read them after a new run).
WHY: list[str] = [
    "## Why Zygarde meets or misses the goals",
    "",
    "- **What changed since the previous run (2026-11-25 12:06 UTC, same 5 seeds):** the ratio on the "
    "holdout is new; the pipelines got cheaper for every method alike (the median imputer's fit 2.7x faster, "
    "a job's column plan decided once instead of per trial or per fold): RandomizedSearchCV's caravan total "
    "8.4 -> 7.9 s, Optuna's 16.0 -> 14.3 s. The search code is unchanged.",
    "- **Bikeshare meets the goal** on both measures: tpe 0.14 / 0.14 (CV / holdout), asha 0.16 / 0.16. The "
    "default HistGradientBoosting trial, Zygarde's second, already beats RandomizedSearchCV's best in seeds "
    "1, 4 and 5; seed 2's RandomizedSearchCV drew a configuration (29.67 rmse CV) that tpe did not match in "
    "30 trials and asha matched at 1.37 of RandomizedSearchCV's time.",
    "- **Caravan, on the CV:** tpe 0.30 (met; 4 of 5 seeds), asha 0.55 (missed: seed 3 not reached, seeds 4 "
    "and 5 at 0.68 and 0.55). RandomizedSearchCV's best there is the largest of 30 CV estimates of a "
    "rare-positive AUC (0.7418-0.7674 over the seeds); asha pruned 17 of 30 candidates on their first fold, "
    "so fewer full cross-validations compete for that maximum. Earlier offline simulations (2 simulated "
    "workers, each trial's real CV, seeds 1-10) put the caravan median at 0.55-0.62 for both strategies and "
    "found no asha setting (`min_at_rung` 5, `eta` 2, a budget counted in folds) that did better.",
    "- **Caravan, on the holdout (met):** tpe 0.06, asha 0.22. The largest CV estimate is partly luck that "
    "the holdout does not reward: RandomizedSearchCV's own best-so-far model scored 0.753 on the holdout "
    "(median) at 1.0 s and 0.741 from 1.5 s to the end, once configurations with a higher CV but a lower "
    "holdout took over. Zygarde tpe's first or second trial (each algorithm's defaults come first) already "
    "matched RandomizedSearchCV's final holdout in 3 of 5 seeds (0.2-0.4 s).",
    "- **Holdout against Optuna (missed in this run, level over two):** caravan tpe -0.0050, asha -0.0000; "
    "bikeshare tpe -0.43 rmse, asha -0.80. The previous run, same seeds and search code, had +0.0018 / "
    "+0.0079 and +0.30 / +0.27. What moved is mostly Optuna: with 2 threads its trials finish in a different "
    "order each run and TPE proposes differently (same seed, its caravan holdout went 0.6852 -> 0.7042 in "
    "seed 4 and 0.7451 -> 0.7692 in seed 5, its bikeshare one 31.84 -> 30.55 in seed 1), while "
    "RandomizedSearchCV repeated itself exactly and Zygarde within 0.015 roc_auc. Over the 10 seed-runs of "
    "both runs the median delta is caravan tpe +0.0003 (no worse in 5 of 10), asha +0.0001 (6 of 10), "
    "bikeshare tpe -0.14 rmse (5 of 10), asha -0.51 (4 of 10): within the spread of one method's holdout "
    "across seeds (Zygarde tpe 27.7-34.4 rmse). One 20 % holdout of 1,165 (caravan) or 1,729 (bikeshare) "
    "rows judges a single model; the CV best is what each search optimises, and Zygarde tpe's is the best "
    "of all methods on caravan (0.7618) and second to Optuna's on bikeshare (31.01 against 30.90), in a "
    "29 s run against Optuna's 38 s.",
    "- **The platform is not what limits it:** a Zygarde trial waits 11-13 ms beyond its own work and the "
    "two trainers are busy 91-97 % of the search, level with RandomizedSearchCV's in-process workers. "
    "Zygarde's *total* also carries 1.2-4.5 s after the last result (the selector's refit, holdout score, "
    "artifact, diagnostics report and registry entry); the ratios stop at the time the score was reached.",
]

COLORS = {BASELINE: "#555555", "HalvingRandomSearchCV": "#999999", REFERENCE: "#8e44ad",
          "Zygarde random": "#2a7ab9", "Zygarde tpe": "#e07b39", "Zygarde asha": "#3a9e5c"}


def plot(runs: dict[tuple[str, str], list[RunResult]], summary: dict[tuple[str, str], Summary]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(DATASETS), figsize=(6.5 * len(DATASETS), 8.8), squeeze=False)
    for col, data in enumerate(DATASETS):
        end = max((r.total_s for (d, _), rs in runs.items() if d == data.name for r in rs), default=1.0)
        grid = [end * i / 400 for i in range(401)]
        greater = _greater(data)
        views: tuple[tuple[str, Callable[[RunResult], q.Curve]], ...] = (
            ("best-so-far CV", lambda r: r.curve), ("holdout of the best-so-far", lambda r: r.holdout_curve))
        for row, (label, curve_of) in enumerate(views):
            ax = axes[row][col]
            ends: list[float] = []
            for name in METHODS:
                results = runs.get((data.name, name))
                if not results:
                    continue
                s = summary[(data.name, name)]
                until = [t for t in grid if t <= s.total_s] or grid[:1]  # each curve ends where its method did
                ys = q.median_curve([curve_of(r) for r in results], until, greater)
                ax.step(until, ys, where="post", color=COLORS[name], label=name, linewidth=1.6)
                ends += [curve_of(r)[-1][1] for r in results if curve_of(r)]
            if row == 0:
                for name in METHODS:
                    if (data.name, name) in summary:
                        s = summary[(data.name, name)]
                        ax.plot([s.total_s], [s.holdout], "o", color=COLORS[name], markersize=7,
                                markeredgecolor="black")
                        ends.append(s.holdout)
                ax.set_title(f"{data.name}: {data.metric} ({'higher' if greater else 'lower'} is better)")
                ax.set_ylabel(f"{label} {data.metric} (line), winner's holdout (dot)")
            else:
                ax.set_ylabel(f"{label} configuration, {data.metric}")
            ax.set_xlabel("wall time since start (s)")
            # zoom on where the searches end (the first results, e.g. a ridge's rmse, can be far off)
            if ends:
                lo, hi = min(ends), max(ends)
                span = (hi - lo) or abs(hi) * 0.05 or 0.01
                ax.set_ylim(lo - span * (1.0 if greater else 0.1), hi + span * (0.1 if greater else 1.0))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="lower right" if greater else "upper right")
    fig.suptitle("Time to quality on 2 cores (medians over seeds): CV above, holdout below")
    fig.tight_layout()
    path = RESULTS / "time_to_quality.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(repeats: int = REPEATS, max_trials: int = MAX_TRIALS) -> None:
    # SIGTERM unwinds like an exception, so the bench stack's processes, topics and database go too
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    runs, elapsed = measure(repeats, max_trials)
    for goal in report(runs, elapsed):
        print(" · ".join(goal))
    print(f"wrote {RESULTS / 'time_to_quality.md'} and .png ({elapsed / 60:.1f} min)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        report(*load_runs(RESULTS / "time_to_quality.json"))
    else:
        main()

