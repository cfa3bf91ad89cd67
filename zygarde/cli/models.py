"""Registry commands over the planner's HTTP API: models, promote, evaluate, trial-report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.table import Table

import zygarde.cli.http as http
from zygarde.cli.app import app, console
from zygarde.cli.jobs import _get, job_id_of, print_json, trial_id_of, trial_number


def _post(path: str, body: dict[str, Any] | None = None, timeout: float = 300.0, spinner: str | None = None) -> Any:
    return http.call("POST", path, body, timeout=timeout, spinner=spinner)


def _data_uri(value: str) -> str:
    """``builtin:NAME`` and URIs as given; a plain path becomes an absolute ``file://`` URI."""
    if ":" in value.split("/", 1)[0]:
        return value
    return Path(value).expanduser().resolve().as_uri()


@app.command()
def models(name: str = typer.Argument("", help="a model name: show its versions"),
           as_json: bool = typer.Option(False, "--json", help="one JSON document (every field)")) -> None:
    """List registered models, or one model's versions with their lineage."""
    if not name:
        found = _get("/models")
        if as_json:
            print_json(found)
            return
        table = Table(title="models", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("name", no_wrap=True)
        for col in ("latest", "champion", "challenger", "updated"):
            table.add_column(col, no_wrap=True)
        for m in found:
            aliases = m.get("aliases") or {}
            table.add_row(m["name"], str(m.get("latest_version")), str(aliases.get("champion", "-")),
                          str(aliases.get("challenger", "-")), str(m.get("updated_at") or "")[:19])
        console.print(table)
        return
    model = _get(f"/models/{name}")
    if as_json:
        print_json(model)
        return
    table = Table(title=f"{name} · aliases {json.dumps(model.get('aliases') or {})}", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col in ("v", "aliases", "trial#", "algorithm", "metric", "cv", "holdout", "created"):
        table.add_column(col, no_wrap=True)
    table.add_column("job", no_wrap=True, overflow="ellipsis", max_width=12)
    for v in model["versions"]:
        holdout = v.get("holdout_score")
        table.add_row(str(v["version"]), ",".join(v.get("aliases") or []) or "-", trial_number(v["trial_id"]),
                      v["algorithm"], v["metric"], f"{v['cv_mean']:.4f}",
                      "-" if holdout is None else f"{holdout:.4f}", str(v.get("registered_at") or "")[:10],
                      v["job_id"])
    console.print(table)


@app.command()
def promote(name: str, version: int, alias: str = typer.Option("champion", help="champion | challenger")) -> None:
    """Point an alias (champion by default) of a model at a version."""
    out = _post(f"/models/{name}/aliases/{alias}", {"version": version})
    console.print(f"{name}: {json.dumps(out['aliases'])}")


@app.command()
def evaluate(name: str, data_uri: str = typer.Argument(..., help="file:// URI or path inside the data roots"),
             version: int = typer.Option(0, help="a version other than the champion")) -> None:
    """Score a model's champion on newly labelled data, check drift, and ask a retrain if needed."""
    body: dict[str, Any] = {"dataset_uri": _data_uri(data_uri)}
    if version:
        body["version"] = version
    out = _post(f"/models/{name}/evaluate", body, spinner=f"scoring {name} on {body['dataset_uri']}")
    drop = out.get("relative_drop")
    console.print(f"{name} v{out['version']}: {out['metric']} {out['score']:.4f} on {out['rows']} rows "
                  f"(holdout {out.get('holdout_score')}, "
                  f"{'-' if drop is None else f'{drop:+.1%}'} relative drop), max PSI {out.get('max_psi'):.3f}")
    table = Table(title="feature drift (PSI)")
    table.add_column("feature")
    table.add_column("psi", justify="right")
    for feature, value in sorted(out["psi"].items(), key=lambda kv: -kv[1])[:15]:
        colour = "red" if value > out["thresholds"]["psi"] else "green"
        table.add_row(feature, f"[{colour}]{value:.3f}[/{colour}]")
    console.print(table)
    for reason in out["reasons"]:
        console.print(f"  • {reason}")
    retrain = out.get("retrain")
    if retrain and retrain.get("event_id"):
        console.print(f"[bold]retrain requested[/bold]: job {retrain['job_id']}")
    elif retrain:
        console.print(f"retrain not requested: {retrain.get('skipped')}")
    if out.get("plot"):
        console.print(f"quality over time: {out['plot']}")


@app.command("trial-report")
def trial_report(job: str, trial: str = typer.Argument(..., help="the trial's number (leaderboard trial#) or id"),
                 as_json: bool = typer.Option(False, "--json", help="one JSON document")) -> None:
    """Refit one completed trial and write its diagnostics report (paths printed)."""
    job = job_id_of(job)
    trial_id = trial_id_of(job, trial)
    out = _post(f"/jobs/{job}/trials/{trial_id}/report", spinner=f"refitting trial {trial_id}")
    if as_json:
        print_json(out)
        return
    console.print(f"trial {trial_id}: holdout {out['holdout_score']:.4f}")
    console.print_json(json.dumps(out["report"]))
