"""``zygarde job JOB`` (one job: status, budgets, best trial, how its trials failed) and ``zygarde trials
JOB`` (every trial of any status, failed ones with their reason and error; the leaderboard lists only
completed ones)."""

from __future__ import annotations

from typing import Any, Literal

import typer
from rich import box
from rich.table import Table

import zygarde.cli.http as http
from zygarde.cli.app import app, console
from zygarde.cli.failures import print_failures, short_error
from zygarde.cli.jobs import job_id_of, print_json, trial_number
from zygarde.cli.output import rest_width

STATUSES = ("requested", "running", "completed", "failed")


def _budget_lines(job: dict[str, Any]) -> list[str]:
    b = job.get("budget") or {}
    lines = [f"trials {b.get('trials_used', 0)} of {b.get('max_trials') or '-'}"]
    if b.get("time_budget_s"):
        lines.append(f"time {b.get('seconds_used') or 0:.0f} of {b['time_budget_s']:g} s")
    if b.get("cost_budget"):
        lines.append(f"cost {b.get('instance_seconds_used') or 0:.1f} of {b['cost_budget']:g} instance-s")
    return lines


@app.command("job")
def show_job(job: str, as_json: bool = typer.Option(False, "--json", help="one JSON document (every field)")) -> None:
    """Show one job: status, budgets used, the best trial, and which trials failed and why."""
    found = http.call("GET", f"/jobs/{job_id_of(job)}")
    if as_json:
        print_json(found)
        return
    t = found.get("trials") or {}
    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False)

    say(f"job {found['job_id']} · {found.get('name')} · {found.get('status')}"
        + (f" ({found['ended_reason']})" if found.get("ended_reason") else ""))
    say(f"task {found.get('task') or '?'} · metric {found.get('metric') or '?'} · "
        f"strategy {found.get('strategy') or '?'}")
    say(f"trials: {t.get('completed', 0)} completed, {t.get('failed', 0)} failed, {t.get('running', 0)} running, "
        f"{t.get('requested', 0)} requested")
    say("budgets: " + " · ".join(_budget_lines(found)))
    best = found.get("best")
    if best:
        say(f"best: trial# {trial_number(best['trial_id'])} {best['algorithm']} {best.get('score') or 0:.4f}")
    for reason in found.get("reasons") or []:
        say(f"  • {reason}")
    for warning in found.get("warnings") or []:
        say(f"  warning: {warning}")
    print_failures(found)


@app.command("trials")
def list_trials(job: str, status: str = typer.Option("", help="only this status: " + ", ".join(STATUSES)),
                limit: int = typer.Option(50, help="trials to show (in index order)"),
                wide: bool = typer.Option(False, "--wide", help="whole errors and parameters, lines wrapped"),
                as_json: bool = typer.Option(False, "--json", help="one JSON document (every field)")) -> None:
    """List a job's trials in order, any status (the leaderboard has only completed ones): a failed
    trial shows its reason and what it raised."""
    if status and status not in STATUSES:
        http.say(f"error: --status must be one of {', '.join(STATUSES)}, not {status!r}")
        raise typer.Exit(http.EXIT_REFUSED)
    job_id = job_id_of(job)
    page = http.call("GET", f"/jobs/{job_id}/trials?limit={max(1, min(limit, 1000))}"
                     + (f"&status={status}" if status else ""))
    if as_json:
        print_json(page)
        return
    items = page["items"]
    title = f"trials · {status or 'every status'} · {len(items)} of {page.get('total', len(items))}"
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    fold: Literal["fold", "ellipsis"] = "fold" if wide else "ellipsis"
    algo_width = max((len(i["algorithm"]) for i in items), default=9)
    table.add_column("trial#", justify="right", no_wrap=True)
    table.add_column("algorithm", no_wrap=True, min_width=algo_width)
    table.add_column("status", no_wrap=True)
    table.add_column("score/why", justify="right", no_wrap=True)
    table.add_column("s", justify="right", no_wrap=True)
    fixed = [6, algo_width, 9, 11, 5]
    table.add_column("params", no_wrap=not wide, overflow=fold, max_width=None if wide else rest_width(*fixed))
    for i in items:
        failed = i["status"] == "failed"
        outcome = (i.get("reason") or "?") if failed else (f"{i['score']:.4f}" if i.get("score") is not None else "-")
        params = ", ".join(f"{k}={round(v, 4) if isinstance(v, float) else v}" for k, v in i["params"].items())
        table.add_row(trial_number(i["trial_id"]), i["algorithm"], i["status"], outcome,
                      f"{i['seconds']:.1f}" if i.get("seconds") is not None else "-", params)
    console.print(table)
    # what each failed trial raised, below the table: a column 20 characters wide would hide it
    errors = [i for i in items if i["status"] == "failed" and i.get("error")]
    if errors:
        console.print("errors:", markup=False, highlight=False)
    for i in errors:
        text = " ".join(i["error"].split()) if wide else short_error(i["error"])
        console.print(f"  #{trial_number(i['trial_id'])} {i.get('reason')}: {text}", markup=False, highlight=False)
