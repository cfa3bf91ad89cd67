"""Catalog commands: the algorithms and the metrics a job spec may name."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich import box
from rich.table import Table

from zygarde.cli.app import app, console
from zygarde.cli.output import print_json, rest_width

SHORT_TASKS = {"binary": "bin", "multiclass": "multi", "regression": "reg"}


@app.command()
def algorithms(task: str = typer.Option("", help="binary | multiclass | regression"),
               wide: bool = typer.Option(False, "--wide", help="with each default search space"),
               as_json: bool = typer.Option(False, "--json", help="one JSON document (with the spaces)")) -> None:
    """List the algorithm catalog (--wide or --json: with each default search space)."""
    from zygarde.ml import algorithms as catalog
    from zygarde.ml.space import space_to_json

    rows = [{"name": name, "tasks": sorted(catalog.get(name).tasks), "description": catalog.get(name).description,
             "space": space_to_json(catalog.get(name).space)} for name in catalog.names(task or None)]
    if as_json:
        print_json(rows)
        return
    table = Table(title="algorithms", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("name", no_wrap=True, min_width=max((len(str(r["name"])) for r in rows), default=4))
    tasks = {str(r["name"]): ",".join(SHORT_TASKS.get(t, t) for t in r["tasks"]) for r in rows}
    table.add_column("tasks", no_wrap=True, min_width=max(map(len, tasks.values()), default=5))
    if wide:
        table.add_column("default search space", overflow="fold")
    names_w = max((len(str(r["name"])) for r in rows), default=4)
    table.add_column("about", no_wrap=not wide, overflow="fold" if wide else "ellipsis",
                     max_width=None if wide else rest_width(names_w, max(map(len, tasks.values()), default=5)))
    for row in rows:
        space = [json.dumps(row["space"])] if wide else []
        cells = [str(row["name"]), tasks[str(row["name"])], *space, str(row["description"])]
        table.add_row(*cells)
    console.print(table)


@app.command()
def metrics(task: str = typer.Option("", help="binary | multiclass | regression"),
            as_json: bool = typer.Option(False, "--json", help="one JSON document")) -> None:
    """List the metrics a spec may name (the default of each task marked)."""
    from zygarde.ml import metrics as catalog

    rows: list[dict[str, Any]] = [
        {"name": m.name, "tasks": sorted(m.tasks), "greater_is_better": m.greater_is_better,
         "default_for": sorted(t for t, d in catalog.DEFAULTS.items() if d == m.name), "about": m.description}
        for m in catalog.METRICS.values() if not task or task in m.tasks]
    if as_json:
        print_json(rows)
        return
    cells = [[r["name"], ",".join(SHORT_TASKS.get(t, t) for t in r["tasks"]),
              "high" if r["greater_is_better"] else "low",
              ",".join(SHORT_TASKS.get(t, t) for t in r["default_for"]) or "-"] for r in rows]
    widths = [max((len(c[i]) for c in cells), default=4) for i in range(4)]
    table = Table(title="metrics", box=box.SIMPLE_HEAD, pad_edge=False)
    for header, width in zip(("name", "tasks", "best", "default"), widths, strict=True):
        table.add_column(header, no_wrap=True, min_width=max(width, len(header)))
    table.add_column("about", no_wrap=True, overflow="ellipsis", max_width=rest_width(*widths))
    for row, r in zip(cells, rows, strict=True):
        table.add_row(*row, str(r["about"]))
    console.print(table)
