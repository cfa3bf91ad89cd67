"""How the API and the planner's start of a job hold up as the store fills with finished jobs.

The local MongoDB-wire server (FerretDB, SQLite) answers a query by anything but ``_id`` by reading
every document of the collection, so a request that selects a job's trials or results by ``job_id``
gets slower with every trial ever stored. On a fresh database per run (as ``bench_stack`` gives),
one real noop job is run, then finished jobs like it are added (their job, trial and result documents
copied, 50 trials each) until the store holds each level of trials; at each level, once the store is
quiet (see ``_wait_quiet``):

- ``GET /jobs/{id}`` of the finished job (median of 7),
- submit → first trial running: ``POST /jobs`` of a 1-trial noop job until its trial's document says
  ``running`` (polled by ``_id``; median of 5),
- the CPU the planner and the MongoDB-wire server use while nothing is submitted (10 s): the periodic
  work (lease checks, active jobs, gauges),
- last, ``GET /jobs`` (every job stored, up to the API's page of 200; one request, 120 s at most).

``python -m bench.store_growth [--label NAME] [--out FILE] [--levels 0,8000]`` adds one column set to
``bench/results/store_growth.json`` (or ``FILE``) and rewrites the table and plot; run it from a
checkout of an earlier version (``--label before``) to compare. Goal: submit → first trial with the
most trials stored within ``GOAL``× its value with the fewest (the one real job's 50), for each version.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench._report import RESULTS, machine
from bench._stack import TOKEN, bench_stack

LEVELS = (0, 2_000, 8_000)
TRIALS_PER_JOB = 50
IDLE_S = 10.0
GOAL = 1.5  # submit → first trial, most trials stored / fewest
SPEC: dict[str, Any] = {
    "name": "growth", "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
    "algorithms": ["noop"], "search": {"strategy": "random", "max_trials": TRIALS_PER_JOB, "max_parallel": 8},
    "cv": {"folds": 2}}


def _fill(db: Any, template: dict[str, Any], until: int, stored: int) -> int:
    """Add finished jobs shaped like ``template`` (job, trials, results) until ``until`` trials are stored."""
    job, trials, results = template["job"], template["trials"], template["results"]
    while stored < until:
        jid = f"filler{stored:07d}"
        db.jobs.insert_one({**job, "_id": jid})
        db.trials.insert_many([{**t, "_id": f"{jid}-{i:05d}", "job_id": jid} for i, t in enumerate(trials)])
        db.results.insert_many([{**r, "_id": f"{jid}-{i:05d}", "job_id": jid} for i, r in enumerate(results)])
        stored += len(trials)
    return stored


def _timed_get(client: httpx.Client, path: str, timeout: float) -> float | None:
    started = time.perf_counter()
    try:
        client.get(path, timeout=timeout).raise_for_status()
    except httpx.TimeoutException:
        return None
    return (time.perf_counter() - started) * 1000


def _first_trial(client: httpx.Client, db: Any) -> tuple[float, str]:
    started = time.perf_counter()
    job_id = client.post("/jobs", json={**SPEC, "search": {**SPEC["search"], "max_trials": 1, "max_parallel": 1}},
                         timeout=120).json()["job_id"]
    while True:
        doc = db.trials.find_one({"_id": f"{job_id}-00000"}, {"status": 1})
        if doc is not None and doc["status"] != "requested":
            return (time.perf_counter() - started) * 1000, job_id
        time.sleep(0.002)


def _wait_quiet(stack: Any, limit_s: float) -> bool:
    """Until the MongoDB-wire server uses under 25 % of a core (over 2 s; the planner's periodic reads
    alone cost it ~12 % with 175 jobs stored): a request a client gave up on (an earlier ``GET /jobs``
    past its 120 s, maybe of an earlier run) goes on inside it, and would be measured as the next
    request's time. False if it is still busy after ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        before = stack.cpu_seconds().get("mongo", 0.0)
        time.sleep(2)
        if stack.cpu_seconds().get("mongo", 0.0) - before < 0.5:
            return True
    return False


def measure(levels: tuple[int, ...] = LEVELS) -> list[dict[str, Any]]:
    rows = []
    with bench_stack(trainers=2) as stack:
        if not _wait_quiet(stack, 900):
            raise RuntimeError("the MongoDB-wire server stayed busy for 15 min before the run")
        db = stack.db
        job_id = stack.submit(SPEC)
        stack.wait(job_id)
        time.sleep(1)
        template = {"job": db.jobs.find_one({"_id": job_id}), "trials": list(db.trials.find({"job_id": job_id})),
                    "results": list(db.results.find({"job_id": job_id}))}
        stored = len(template["trials"])
        client = httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {TOKEN}"})
        for level in levels:
            stored = _fill(db, template, level, stored)
            quiet = _wait_quiet(stack, 900)
            one = [_timed_get(client, f"/jobs/{job_id}", 120) for _ in range(7)]
            first = []
            for _ in range(5):
                ms, small = _first_trial(client, db)
                first.append(ms)
                stack.wait(small, timeout=300)  # finished, the winner refitted: the next one starts alone
                _wait_quiet(stack, 120)
            jobs = db.jobs.estimated_document_count()
            before = stack.cpu_seconds()
            time.sleep(IDLE_S)  # nothing submitted: what the periodic work costs the planner and the store
            after = stack.cpu_seconds()
            idle = {name: (after[name] - before[name]) / IDLE_S * 100 for name in ("planner", "mongo")
                    if name in before and name in after}
            listing = _timed_get(client, "/jobs", 120)  # last: one past its time leaves the store busy
            row = {"trials_stored": stored, "jobs_stored": jobs, "idle_cpu_pct": idle, "quiet_before": quiet,
                   "get_job_ms": statistics.median(x for x in one if x is not None) if all(one) else None,
                   "list_jobs_ms": listing, "first_trial_ms": statistics.median(first)}
            print(row, flush=True)
            rows.append(row)
            stored = db.trials.estimated_document_count()
    return rows


def _fmt(value: float | None) -> str:
    return "> 120 s" if value is None else (f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms")


def _ratio_line(label: str, runs: list[dict[str, Any]]) -> str:
    low = min(runs, key=lambda r: r["trials_stored"])
    high = max(runs, key=lambda r: r["trials_stored"])
    ratio = high["first_trial_ms"] / low["first_trial_ms"]
    return (f"- {label}: {_fmt(high['first_trial_ms'])} at {high['trials_stored']:,} trials / "
            f"{_fmt(low['first_trial_ms'])} at {low['trials_stored']:,} = {ratio:.2f}× "
            f"({'met' if ratio <= GOAL else 'missed'})")


def report(data: dict[str, Any], out: Path) -> None:
    lines = ["# Store growth: the API and a job's start as finished jobs pile up", "",
             f"Machine: {data['machine']}", "",
             "Each level: finished 50-trial noop jobs (their job, trial and result documents) added to one "
             "fresh database of the local stack (FerretDB on SQLite); once the store is quiet again, "
             "`GET /jobs/{id}` of a finished job (median of 7), submit → first trial running (median of 5), "
             "the planner's and the store's CPU over 10 s with nothing submitted, and last `GET /jobs` (every "
             "job, one request, 120 s at most: a request the client gives up on goes on in the store, so it "
             "comes last and the next level waits for the store to be quiet). Versions side by side, each run "
             "on the same machine, the local stack restarted between them; see `bench/store_growth.py`.", "",
             "| version | trials stored | jobs stored | GET /jobs/{id} | GET /jobs | submit → first trial "
             "| idle CPU, planner + MongoDB |",
             "|---|---|---|---|---|---|---|"]
    for label, runs in data["runs"].items():
        lines += [f"| {label} | {r['trials_stored']:,} | {r['jobs_stored']:,} | {_fmt(r['get_job_ms'])} | "
                  f"{_fmt(r['list_jobs_ms'])} | {_fmt(r['first_trial_ms'])} | "
                  f"{r['idle_cpu_pct'].get('planner', 0):.1f} % + {r['idle_cpu_pct'].get('mongo', 0):.1f} % |"
                  for r in runs]
    lines += ["", f"Submit → first trial, most trials stored / fewest (goal ≤ {GOAL}×):", ""]
    notes = data.get("notes", {})  # how a version's run went, when the table alone does not say
    lines += [_ratio_line(label, runs) + (f"; {notes[label]}" if label in notes else "")
              for label, runs in data["runs"].items()]
    (out.parent / "store_growth.md").write_text("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for label in data["runs"]:
        runs = data["runs"][label]
        xs = [r["trials_stored"] for r in runs]
        axes[0].plot(xs, [r["get_job_ms"] or 120_000 for r in runs], marker="o", label=label)
        axes[1].plot(xs, [r["first_trial_ms"] for r in runs], marker="o", label=label)
    for ax, title in zip(axes, ("GET /jobs/{id} (ms)", "submit → first trial (ms)"), strict=True):
        ax.set_title(title)
        ax.set_xlabel("trials stored")
        ax.set_yscale("log")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out.parent / "store_growth.png", dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--label", default="now")
    parser.add_argument("--out", type=Path, default=RESULTS / "store_growth.json")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)),
                        help="trials stored at each measurement, comma-separated (0: the one real job's)")
    args = parser.parse_args(argv or [])
    data = json.loads(args.out.read_text()) if args.out.exists() else {"runs": {}}
    data["machine"] = machine()
    data["runs"][args.label] = measure(tuple(int(x) for x in args.levels.split(",")))
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    report(data, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
