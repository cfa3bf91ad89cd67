"""Registry commands over the planner's HTTP API: models, promote, evaluate, trial-report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.table import Table

from zygarde.cli.app import app, console, err
from zygarde.cli.jobs import _client, _get


def _post(path: str, body: dict[str, Any] | None = None, timeout: float = 300.0) -> Any:
    with _client() as client:
        try:
            resp = client.post(path, json=body, timeout=timeout)
        except httpx.HTTPError as exc:
            err.print(f"[red]cannot reach the planner at {client.base_url}[/red]: {exc}")
            raise typer.Exit(2) from exc
    if resp.status_code >= 400:
        detail = resp.json().get("detail") if resp.headers.get("content-type", "").startswith("application/json") \
            else resp.text
        for reason in detail if isinstance(detail, list) else [detail]:
            err.print(f"[red]{resp.status_code}[/red] {reason}")
        raise typer.Exit(4 if resp.status_code == 404 else 1)
    return resp.json()


def _data_uri(value: str) -> str:
    """``builtin:NAME`` and URIs as given; a plain path becomes an absolute ``file://`` URI."""
    if ":" in value.split("/", 1)[0]:
        return value
    return Path(value).expanduser().resolve().as_uri()


@app.command()
def models(name: str = typer.Argument("", help="a model name: show its versions")) -> None:
    """List registered models, or one model's versions with their lineage."""
    if not name:
        table = Table(title="models")
        for col in ("name", "latest", "champion", "challenger", "updated"):
            table.add_column(col)
        for m in _get("/models"):
            aliases = m.get("aliases") or {}
            table.add_row(m["name"], str(m.get("latest_version")), str(aliases.get("champion", "-")),
                          str(aliases.get("challenger", "-")), str(m.get("updated_at") or ""))
        console.print(table)
        return
    model = _get(f"/models/{name}")
    table = Table(title=f"{name} · aliases {json.dumps(model.get('aliases') or {})}")
    for col in ("version", "aliases", "job", "trial", "algorithm", "metric", "cv", "holdout", "dataset", "created"):
        table.add_column(col, overflow="fold")
    for v in model["versions"]:
        holdout = v.get("holdout_score")
        table.add_row(str(v["version"]), ",".join(v.get("aliases") or []) or "-", v["job_id"], v["trial_id"][-5:],
                      v["algorithm"], v["metric"], f"{v['cv_mean']:.4f}",
                      "-" if holdout is None else f"{holdout:.4f}",
                      f"{v['dataset']['uri']} ({(v['dataset'].get('sha256') or '')[:12]})",
                      str(v.get("registered_at") or ""))
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
    out = _post(f"/models/{name}/evaluate", body)
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
def trial_report(job: str, trial: str) -> None:
    """Refit one completed trial and write its diagnostics report (paths printed)."""
    out = _post(f"/jobs/{job}/trials/{trial}/report")
    console.print(f"trial {trial}: holdout {out['holdout_score']:.4f}")
    console.print_json(json.dumps(out["report"]))
