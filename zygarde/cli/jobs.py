"""Job commands over the planner's HTTP API: submit, jobs, leaderboard, model, report, cancel, pause, resume,
demo (the catalog commands are in ``catalog.py``, how they print in ``output.py``)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import typer
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

import zygarde.cli.http as http
from zygarde.cli.app import app, console
from zygarde.cli.failures import print_failures
from zygarde.cli.output import leaderboard_table, print_json, rest_width, trial_number
from zygarde.settings import REPO_ROOT

DEMO_SPEC = REPO_ROOT / "examples" / "demo-job.json"
FINAL = {"completed", "failed", "cancelled", "rejected"}
ID_CHARS = 32  # a job id: uuid4 hex
SHORT_ID = 12  # what the jobs table shows; every command takes a unique prefix
PREFIX_SCAN = 1000  # the newest jobs a prefix is looked up among


def _client() -> httpx.Client:
    return http.client()


def _get(path: str) -> Any:
    return http.call("GET", path)


def job_id_of(job: str) -> str:
    """A full job id from the id or a unique prefix of it (the jobs table shows the first 12 characters)."""
    if len(job) >= ID_CHARS or not job:
        return job
    found = [j["job_id"] for j in _get(f"/jobs?limit={PREFIX_SCAN}") if j["job_id"].startswith(job)]
    if len(found) == 1:
        return str(found[0])
    if not found:
        http.say(f"error 404: no job id starts with {job!r} among the newest {PREFIX_SCAN}")
        raise typer.Exit(http.EXIT_NOT_FOUND)
    http.say(f"error: {len(found)} jobs start with {job!r}; give more of the id")
    raise typer.Exit(http.EXIT_REFUSED)


def trial_id_of(job_id: str, trial: str) -> str:
    """A full trial id from a short number (``7``) or the id itself."""
    return f"{job_id}-{int(trial):05d}" if trial.isdigit() and len(trial) < 6 else trial


def budget_state(job: dict[str, Any], elapsed: float) -> tuple[str, float]:
    """Progress against each budget, the best score so far and an ETA from the pace so far; and the
    share of the nearest budget used (what the bar shows)."""
    budget, t = job.get("budget") or {}, job["trials"]
    done = t["completed"] + t["failed"]
    seconds = budget.get("seconds_used") or elapsed
    parts, shares = [], []
    if budget.get("max_trials"):
        parts.append(f"trials {done}/{budget['max_trials']}")
        shares.append(done / budget["max_trials"])
    if budget.get("time_budget_s"):
        parts.append(f"time {seconds:.0f}/{budget['time_budget_s']:.0f}s")
        shares.append(seconds / budget["time_budget_s"])
    if budget.get("cost_budget"):
        used = budget.get("instance_seconds_used") or 0.0
        parts.append(f"cost {used:.0f}/{budget['cost_budget']:.0f} inst·s")
        shares.append(used / budget["cost_budget"])
    best = job.get("best")
    parts.append(f"best {best['score']:.4f} ({best['algorithm']})" if best else "best -")
    share = 1.0 if job["status"] in FINAL else min(1.0, max(shares, default=0.0))
    if job["status"] in FINAL:
        parts.append(job["status"])
    elif 0 < share < 1:
        parts.append(f"ETA {seconds * (1 - share) / share:.0f}s")
    return " · ".join(parts), share


def wait_for(job_id: str, timeout: float = 3600) -> dict[str, Any]:
    """Follow a job until it ends: a bar against the nearest budget, the budgets, best so far, ETA."""
    started = time.monotonic()
    job: dict[str, Any] = _get(f"/jobs/{job_id}")
    progress = Progress(TextColumn(f"job {job_id[:8]}"), BarColumn(bar_width=20), TextColumn("{task.description}"),
                        console=console, transient=False)
    with progress:
        text, share = budget_state(job, 0.0)
        bar = progress.add_task(text, total=1000, completed=round(share * 1000))
        while job["status"] not in FINAL and time.monotonic() - started < timeout:
            time.sleep(0.5)
            job = _get(f"/jobs/{job_id}")
            text, share = budget_state(job, time.monotonic() - started)
            progress.update(bar, description=text, completed=round(share * 1000))
    return job


def _submit(spec: Path) -> dict[str, Any]:
    try:
        raw = json.loads(spec.read_text())
    except ValueError as exc:
        http.say(f"error: {spec} is not JSON: {exc}")
        raise typer.Exit(http.EXIT_REFUSED) from exc
    accepted: dict[str, Any] = http.call("POST", "/jobs", raw)
    return accepted


@app.command()
def submit(spec: Path = typer.Argument(..., exists=True, readable=True, help="job spec (JSON)"),
           wait: bool = typer.Option(False, "--wait", help="follow progress until the job ends"),
           as_json: bool = typer.Option(False, "--json", help="print the answer as one JSON document")) -> None:
    """Submit a job spec to the planner."""
    accepted = _submit(spec)
    job_id = accepted["job_id"]
    if as_json and not wait:
        print_json(accepted)
        return
    if not as_json:
        console.print(f"submitted job [bold]{job_id}[/bold] (task {accepted.get('task')}, "
                      f"metric {accepted.get('metric')})")
        for warning in accepted.get("warnings", []):
            http.say(f"warning: {warning}")
    if wait:
        job = wait_for(job_id) if not as_json else _wait_quietly(job_id)
        if as_json:
            print_json(job)
        else:
            _print_outcome(job)
        if job["status"] != "completed":
            raise typer.Exit(1)


def _wait_quietly(job_id: str, timeout: float = 3600) -> dict[str, Any]:
    started = time.monotonic()
    job: dict[str, Any] = _get(f"/jobs/{job_id}")
    while job["status"] not in FINAL and time.monotonic() - started < timeout:
        time.sleep(0.5)
        job = _get(f"/jobs/{job_id}")
    return job


def _print_outcome(job: dict[str, Any]) -> None:
    console.print(f"job {job['job_id']} ended [bold]{job['status']}[/bold] ({job.get('ended_reason')})")
    for reason in job.get("reasons", []):
        console.print(f"  • {reason}", markup=False)
    print_failures(job)  # which trials failed and why, a job that completed included


def _age(created: str | None) -> str:
    if not created:
        return "-"
    try:
        then = datetime.fromisoformat(created)
    except ValueError:
        return "-"
    seconds = (datetime.now(UTC) - (then if then.tzinfo else then.replace(tzinfo=UTC))).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{max(seconds, 0):.0f}s"


@app.command("jobs")
def list_jobs(status: str = typer.Option("", help="filter by status"),
              as_json: bool = typer.Option(False, "--json", help="one JSON document (every field)")) -> None:
    """List jobs, newest first (ids cut to 12 characters: every command takes a unique prefix; --json has
    them whole)."""
    found = _get("/jobs" + (f"?status={status}" if status else ""))
    if as_json:
        print_json(found)
        return
    table = Table(title="jobs", box=box.SIMPLE_HEAD, pad_edge=False)
    widths = {"job": SHORT_ID, "status": 9, "done": 4, "fail": 4, "best": 6, "age": 4}
    table.add_column("job", no_wrap=True, min_width=widths["job"])
    table.add_column("name", no_wrap=True, overflow="ellipsis", max_width=rest_width(*widths.values()))
    for col in ("status", "done", "fail", "best", "age"):
        table.add_column(col, no_wrap=True, justify="left" if col == "status" else "right", min_width=widths[col])
    for j in found:
        best = j.get("best")
        table.add_row(j["job_id"][:SHORT_ID], str(j.get("name")), j["status"], str(j["trials"]["completed"]),
                      str(j["trials"]["failed"]), f"{best['score']:.4f}" if best else "-", _age(j.get("created_at")))
    console.print(table)


@app.command()
def leaderboard(job: str, limit: int = typer.Option(15),
                wide: bool = typer.Option(False, "--wide", help="full trial ids and every parameter"),
                as_json: bool = typer.Option(False, "--json", help="one JSON document (every field)")) -> None:
    """Show a job's trials, best first (trial# is the short number every command accepts)."""
    job = job_id_of(job)
    board = _get(f"/jobs/{job}/leaderboard")
    if as_json:
        print_json(board)
        return
    table = leaderboard_table(board, limit, wide)
    # --wide: every column whole, however wide the lines (the terminal may wrap them, a pipe will not)
    if not wide:
        console.print(table)
        return
    natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
    Console(width=max(console.width, natural)).print(table)


@app.command()
def model(job: str) -> None:
    """Show the model chosen for a job (one JSON document)."""
    print_json(_get(f"/jobs/{job_id_of(job)}/model"))


@app.command()
def report(job: str, out: Path = typer.Option(Path("."), help="folder to write report-JOB.html into")) -> None:
    """Write the winner's diagnostics report (one self-contained HTML page)."""
    job = job_id_of(job)
    page = http.call("GET", f"/jobs/{job}/report")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"report-{job}.html"
    path.write_text(page if isinstance(page, str) else json.dumps(page))
    console.print(f"wrote {path}")


@app.command()
def cancel(job: str) -> None:
    """Cancel a job: queued trials are dropped, running ones stop at their next fold."""
    job = job_id_of(job)
    http.call("POST", f"/jobs/{job}/cancel")
    console.print(f"cancel requested for {job}")


@app.command()
def pause(job: str) -> None:
    """Pause a job: no new trials are requested; running ones finish. ``resume`` goes on with it."""
    job = job_id_of(job)
    http.call("POST", f"/jobs/{job}/pause")
    console.print(f"pause requested for {job}")


@app.command()
def resume(job: str) -> None:
    """Resume a paused job: the same search goes on (trial numbers, budgets; the pause is not timed)."""
    job = job_id_of(job)
    http.call("POST", f"/jobs/{job}/resume")
    console.print(f"resume requested for {job}")


@app.command()
def demo(trainers: int = typer.Option(2), spec: Path = typer.Option(DEMO_SPEC),
         down_after: bool = typer.Option(False, "--down", help="stop the stack when the demo ends")) -> None:
    """Start the stack, run the bundled fraud-style job end to end, print the leaderboard and winner."""
    from zygarde.cli.app import down as down_cmd
    from zygarde.cli.app import up as up_cmd

    started = time.monotonic()
    up_cmd(only="", services=True, trainers=trainers, scaler=True)
    console.print(f"submitting {spec.name}: {json.loads(spec.read_text())['dataset']['uri']}")
    try:
        job = wait_for(_submit(spec)["job_id"])  # the id it submitted: other jobs may be running
        console.print(leaderboard_table(_get(f"/jobs/{job['job_id']}/leaderboard")))
        if job["status"] != "completed":
            _print_outcome(job)
            raise typer.Exit(1)
        m = _get(f"/jobs/{job['job_id']}/model")
        console.print(f"[bold green]winner[/bold green]: {m['algorithm']} · cv {m['metric']} {m['cv_mean']:.4f} · "
                      f"holdout {m['holdout_score']:.4f} · {m['artifact_uri']}")
        console.print(f"demo wall time {time.monotonic() - started:.1f}s · "
                      f"{job['trials']['completed']} trials completed, {job['trials']['failed']} failed")
    finally:
        if down_after:
            down_cmd(purge=False)


# what callers import from here
__all__ = ["budget_state", "job_id_of", "print_json", "trial_id_of", "trial_number", "wait_for"]
