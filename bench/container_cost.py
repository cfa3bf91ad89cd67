"""What the container backend costs: trainer container-seconds ÷ the trials' busy seconds.

docker-compose.yml runs under podman (bench/_compose.py, the images of deploy/images/build.sh)
with the scaler's `docker` backend and its default policy; a bursty trace of three jobs of `burn`
trials (CPU for a known time) with idle gaps between them. Container-seconds come from the
engine's own start and death events of every trainer-labelled container during the trace; busy
seconds are the trials' `seconds` (the trainer's wall time of their cross-validation). Each
container's life is split by the trials it ran (a trial's worker names its container's hostname):
start-up (start to its first trial), busy, idle between trials, and the tail after its last trial
(until the job's last trial ends elsewhere, then the cooldown, the stabilisation window and the
drain). Goal (issue 20): ≤ 1.2.
Run: ``python -m bench container_cost`` (needs `make images`; ~6 min).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench._compose import AUTH, ComposeStack, TrainerEvents, compose_up, podman_api, wait_for
from bench._report import RESULTS, write_markdown

PROJECT = "zygardebench"
JOBS = (16, 10, 20)  # trials per job of the trace
GAP_S = 45.0  # idle between a job's end and the next submit: longer than the cooldown
GOAL = 1.2


@dataclass
class Life:
    """One trainer container: when the engine started it and when it died, and its trials."""

    cid: str
    start: float
    died: float
    exit_code: int
    trials: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each trial it ran

    @property
    def seconds(self) -> float:
        return self.died - self.start

    def split(self, ends: list[float] | None = None) -> dict[str, float]:
        """Its seconds by what it did. ``ends``: every trial's end in the trace; the part of the tail
        until the last trial anywhere ended is waiting for the other trainers to finish the job, the
        rest is the scaler's cooldown and the drain."""
        if not self.trials:
            return {"startup": 0.0, "busy": 0.0, "between": 0.0, "job_end": 0.0, "cooldown": self.seconds,
                    "unused": self.seconds}
        first, last = min(s for s, _ in self.trials), max(e for _, e in self.trials)
        busy = sum(e - s for s, e in self.trials)
        startup, tail = max(0.0, first - self.start), max(0.0, self.died - last)
        last_any = max([e for e in (ends or []) if last <= e <= self.died], default=last)
        job_end = last_any - last
        return {"startup": startup, "busy": busy, "between": max(0.0, self.seconds - startup - busy - tail),
                "job_end": job_end, "cooldown": tail - job_end, "unused": 0.0}


def _ts(value: str) -> float:
    """Seconds since the epoch of an ISO time; one without a zone is UTC (the store's times)."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def spec(name: str, trials: int, seed: int) -> dict[str, Any]:
    return {"name": name, "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
            "algorithms": ["burn"], "search": {"strategy": "random", "max_trials": trials, "max_parallel": 4,
                                               "seed": seed}, "cv": {"folds": 5}}


def run_trace(stack: ComposeStack) -> tuple[list[dict[str, Any]], float, float]:
    """The three jobs with their gaps; returns each job's trials and the trace's start and end."""
    t_start = time.time()
    trials: list[dict[str, Any]] = []
    for i, n in enumerate(JOBS):
        if i:
            time.sleep(GAP_S)
        resp = httpx.post(f"{stack.url}/jobs", json=spec(f"burst-{i}", n, i + 1), headers=AUTH, timeout=30)
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["job_id"]

        def done(job_id: str = job_id) -> dict[str, Any] | None:
            job = httpx.get(f"{stack.url}/jobs/{job_id}", headers=AUTH, timeout=10).json()
            return job if job["status"] in ("completed", "failed", "cancelled", "rejected") else None

        job = wait_for(f"job {i} to finish", done, 900, 2)
        assert job["status"] == "completed", job
        page = httpx.get(f"{stack.url}/jobs/{job_id}/trials", params={"limit": 500}, headers=AUTH, timeout=10)
        items = page.json()["items"]
        assert sum(1 for t in items if t["status"] == "completed") == n, items
        trials += items
        print(f"job {i}: {n} trials completed")
    wait_for("the scaler to take trainers back to 0", lambda: not stack.trainers(), 300, 2)
    return trials, t_start, time.time()


def lives(events: TrainerEvents) -> list[Life]:
    """Every trainer container's start and death, from the engine's events during the trace."""
    started = {e["ID"]: _ts(e["Time"]) for e in events.of("start")}

    def all_died() -> list[dict[str, Any]] | None:
        # a container stops counting as running a moment before the engine records its death
        died = [e for e in events.of("died") if e["ID"] in started]
        return died if {e["ID"] for e in died} == started.keys() else None

    died = wait_for("every trainer container's death event", all_died, 60, 2)
    return [Life(e["ID"], started[e["ID"]], _ts(e["Time"]), int(e.get("ContainerExitCode", 0))) for e in died]


def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="zygarde-bench-") as tmp, podman_api() as (sock, env), \
            compose_up(PROJECT, sock, env, Path(tmp), {"ZYGARDE_PROBE_ALGORITHMS": "1"},
                       log=RESULTS / "container_cost.log.tmp") as stack:
        wait_for("the idle scaler to reach 0 trainers", lambda: not stack.trainers(), 240, 2)
        with TrainerEvents(stack.env) as events:
            trials, t0, t1 = run_trace(stack)
            containers = lives(events)
        up_s = stack.up_s
    by_host = {life.cid[:12]: life for life in containers}
    busy = 0.0
    for t in trials:
        if t["status"] != "completed":
            continue
        end = _ts(t["finished_at"])
        busy += float(t["seconds"])
        life = by_host.get(str(t["worker"]).rsplit("-", 1)[0])
        assert life is not None, f"trial {t['trial_id']} ran on {t['worker']}, no trainer container of the trace"
        life.trials.append((end - float(t["seconds"]), end))
    ends = [_ts(t["finished_at"]) for t in trials if t["status"] == "completed"]
    parts = {k: sum(life.split(ends)[k] for life in containers)
             for k in ("startup", "busy", "between", "job_end", "cooldown", "unused")}
    total = sum(life.seconds for life in containers)
    return {"jobs": list(JOBS), "gap_s": GAP_S, "compose_up_s": round(up_s, 1), "trace_s": round(t1 - t0, 1),
            "trials": len(trials), "busy_s": round(busy, 1), "container_s": round(total, 1),
            "ratio": round(total / busy, 3), "parts_s": {k: round(v, 1) for k, v in parts.items()},
            "containers": [{**asdict(life), "trials": len(life.trials),
                            "split_s": {k: round(v, 1) for k, v in life.split(ends).items()}}
                           for life in sorted(containers, key=lambda life: life.start)]}


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "container_cost.json").write_text(json.dumps(result, indent=1) + "\n")
    total, parts = result["container_s"], result["parts_s"]
    starts = [c["split_s"]["startup"] for c in result["containers"] if c["trials"]]
    share = {k: v / total for k, v in parts.items()}
    verdict = "met" if result["ratio"] <= GOAL else "**missed**"
    rows = [["trainer container-seconds (engine start → death)", f"{total:,.1f}", "1.00"],
            ["  start-up: container start → its first trial", f"{parts['startup']:,.1f}", f"{share['startup']:.2f}"],
            ["  busy: the trials' own seconds", f"{parts['busy']:,.1f}", f"{share['busy']:.2f}"],
            ["  between trials (fetch, report, waiting for work)", f"{parts['between']:,.1f}",
             f"{share['between']:.2f}"],
            ["  its last trial → the job's last trial (the other trainer still busy)", f"{parts['job_end']:,.1f}",
             f"{share['job_end']:.2f}"],
            ["  the job's last trial → its death (cooldown, stabilisation window, drain)",
             f"{parts['cooldown']:,.1f}", f"{share['cooldown']:.2f}"],
            ["trials' busy seconds", f"{result['busy_s']:,.1f}", ""],
            ["**container-seconds ÷ busy seconds**", f"**{result['ratio']:.2f}**", f"goal ≤ {GOAL}: {verdict}"]]
    notes = [f"Trace: jobs of {', '.join(map(str, result['jobs']))} `burn` trials (5 folds of 0.5-1.5 s CPU each), "
             f"submitted one after another with {result['gap_s']:.0f} s idle between a job's end and the next; "
             f"{result['trials']} trials, trace {result['trace_s']:.0f} s; compose up {result['compose_up_s']:.0f} s "
             "(not counted).",
             f"{len(result['containers'])} trainer containers; exit codes "
             f"{sorted(c['exit_code'] for c in result['containers'])}; trials per container "
             f"{[c['trials'] for c in result['containers']]}; containers that ran no trial: "
             f"{parts['unused']:,.1f} s (inside the cooldown row above).",
             "Scaler: the `docker` backend with the policy's defaults (max 2 trainers, cooldown 10 s, "
             "stabilisation window 10 s, drain timeout 60 s; back to zero at once when no trial waits and no job "
             "is still searching; the idle trainers stopped at once, never a busy one, when fewer trials run than "
             "trainers and no job will plan another) and compose's decision every 1 s; podman 4.3 + runc, 2 "
             "shared cores.",
             f"Start-up per container, in start order (two start together per burst): {starts} s.",
             "Container-seconds from podman's start and died events; busy seconds from the trials' `seconds`."]
    write_markdown("container_cost", "Container backend cost: trainer container-seconds ÷ trials' busy seconds",
                   ["part", "seconds", "share"], rows, notes)


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__).parse_args(argv or [])
    result = measure()
    write(result)
    print(json.dumps({k: v for k, v in result.items() if k != "containers"}))


if __name__ == "__main__":
    main()
