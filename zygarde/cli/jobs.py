"""Job commands over the planner's HTTP API: submit, jobs, leaderboard, model, cancel, demo."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.live import Live
from rich.table import Table

from zygarde.cli.app import _settings, app, console, err
from zygarde.settings import REPO_ROOT

DEMO_SPEC = REPO_ROOT / "examples" / "demo-job.json"
FINAL = {"completed", "failed", "cancelled", "rejected"}


def _client() -> httpx.Client:
    s = _settings()
    return httpx.Client(base_url=s.planner_url, timeout=30.0,
                        headers={"Authorization": f"Bearer {s.token()}"})


def _get(path: str) -> Any:
    with _client() as client:
        try:
            resp = client.get(path)
        except httpx.HTTPError as exc:
            err.print(f"[red]cannot reach the planner at {client.base_url}[/red]: {exc} (is `zygarde up` running?)")
            raise typer.Exit(2) from exc
    if resp.status_code == 404:
        err.print(f"[red]{resp.json().get('detail')}[/red]")
        raise typer.Exit(4)
    resp.raise_for_status()
    return resp.json()


def _leaderboard_table(board: dict[str, Any], limit: int = 15) -> Table:
    arrow = "↑" if board.get("greater_is_better") else "↓"
    table = Table(title=f"leaderboard · {board.get('metric')} {arrow}")
    for col in ("rank", "trial", "algorithm", "cv_mean", "cv_std", "fit s", "params"):
        table.add_column(col, overflow="fold")
    for item in board["items"][:limit]:
        params = json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in item["params"].items()})
        table.add_row(str(item["rank"]), item["trial_id"][-5:], item["algorithm"], f"{item['cv_mean']:.4f}",
                      f"{item['cv_std']:.4f}", f"{item['fit_seconds']:.2f}", params[:80])
    return table


def _progress_table(job: dict[str, Any], elapsed: float) -> Table:
    t = job["trials"]
    best = job.get("best")
    table = Table(title=f"job {job['job_id'][:12]} · {job.get('name')} · {elapsed:.0f}s")
    for col in ("status", "requested", "running", "completed", "failed", "best so far"):
        table.add_column(col)
    best_txt = f"{best['score']:.4f} ({best['algorithm']})" if best else "-"
    table.add_row(job["status"], str(t["requested"]), str(t["running"]), str(t["completed"]), str(t["failed"]),
                  best_txt)
    return table


def wait_for(job_id: str, timeout: float = 3600) -> dict[str, Any]:
    started = time.monotonic()
    job = _get(f"/jobs/{job_id}")
    with Live(_progress_table(job, 0), console=console, refresh_per_second=4, transient=False) as live:
        while job["status"] not in FINAL and time.monotonic() - started < timeout:
            time.sleep(0.5)
            job = _get(f"/jobs/{job_id}")
            live.update(_progress_table(job, time.monotonic() - started))
    return job


@app.command()
def submit(spec: Path = typer.Argument(..., exists=True, readable=True, help="job spec (JSON)"),
           wait: bool = typer.Option(False, "--wait", help="follow progress until the job ends")) -> None:
    """Submit a job spec to the planner."""
    raw = json.loads(spec.read_text())
    with _client() as client:
        resp = client.post("/jobs", json=raw)
    if resp.status_code == 422:
        err.print("[red]job rejected:[/red]")
        for reason in resp.json()["detail"]:
            err.print(f"  • {reason}")
        raise typer.Exit(1)
    resp.raise_for_status()
    job_id = resp.json()["job_id"]
    console.print(f"submitted job [bold]{job_id}[/bold]")
    if wait:
        job = wait_for(job_id)
        _print_outcome(job)
        if job["status"] != "completed":
            raise typer.Exit(1)


def _print_outcome(job: dict[str, Any]) -> None:
    console.print(f"job {job['job_id']} ended [bold]{job['status']}[/bold] ({job.get('ended_reason')})")
    for reason in job.get("reasons", []):
        console.print(f"  • {reason}")


@app.command("jobs")
def list_jobs(status: str = typer.Option("", help="filter by status")) -> None:
    """List jobs, newest first."""
    table = Table(title="jobs")
    for col in ("job", "name", "status", "done", "failed", "best", "ended"):
        table.add_column(col)
    for j in _get("/jobs" + (f"?status={status}" if status else "")):
        best = j.get("best")
        table.add_row(j["job_id"], str(j.get("name")), j["status"], str(j["trials"]["completed"]),
                      str(j["trials"]["failed"]), f"{best['score']:.4f}" if best else "-",
                      str(j.get("ended_reason") or ""))
    console.print(table)


@app.command()
def leaderboard(job: str, limit: int = typer.Option(15)) -> None:
    """Show a job's trials, best first."""
    console.print(_leaderboard_table(_get(f"/jobs/{job}/leaderboard"), limit))


@app.command()
def model(job: str) -> None:
    """Show the model chosen for a job."""
    console.print_json(json.dumps(_get(f"/jobs/{job}/model")))


@app.command()
def report(job: str, out: Path = typer.Option(Path("."), help="folder to write report-JOB.html into")) -> None:
    """Write the winner's diagnostics report (one self-contained HTML page)."""
    with _client() as client:
        resp = client.get(f"/jobs/{job}/report")
    if resp.status_code == 404:
        err.print(f"[red]{resp.json().get('detail')}[/red]")
        raise typer.Exit(4)
    resp.raise_for_status()
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"report-{job}.html"
    path.write_text(resp.text)
    console.print(f"wrote {path}")


@app.command()
def cancel(job: str) -> None:
    """Cancel a job: queued trials are dropped, running ones stop at their next fold."""
    with _client() as client:
        resp = client.post(f"/jobs/{job}/cancel")
    if resp.status_code == 404:
        err.print(f"unknown job {job}")
        raise typer.Exit(4)
    resp.raise_for_status()
    console.print(f"cancel requested for {job}")


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
        submit(spec, wait=False)
        job = _get("/jobs?")[0]
        job = wait_for(job["job_id"])
        console.print(_leaderboard_table(_get(f"/jobs/{job['job_id']}/leaderboard")))
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


@app.command()
def algorithms(task: str = typer.Option("", help="binary | multiclass | regression")) -> None:
    """List the algorithm catalog with each default search space."""
    from zygarde.ml import algorithms as catalog
    from zygarde.ml.space import space_to_json

    table = Table(title="algorithms")
    for col in ("name", "tasks", "default search space", "about"):
        table.add_column(col, overflow="fold")
    for name in catalog.names(task or None):
        algo = catalog.get(name)
        table.add_row(name, ",".join(sorted(algo.tasks)), json.dumps(space_to_json(algo.space)), algo.description)
    console.print(table)
