"""How the job commands print: one JSON document for pipes, tables cut to the console's width, short trial numbers."""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

from rich import box
from rich.table import Table

from zygarde.cli.app import console


def print_json(value: Any) -> None:
    """One JSON document on stdout, no colour or wrapping, so it pipes into ``jq`` or ``json.tool``."""
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def trial_number(trial_id: str) -> str:
    """The short number of ``<job_id>-<index:05d>`` every command accepts in place of the id."""
    head, _, index = trial_id.rpartition("-")
    return str(int(index)) if head and index.isdigit() else trial_id


def rest_width(*widths: int) -> int:
    """What the console's width leaves to a last column after columns of these widths (each column's
    padding and separator counted), so the last one is cut with an ellipsis instead of the line wrapping."""
    return max(8, console.width - sum(widths) - 3 * len(widths) - 2)


def params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={round(v, 4) if isinstance(v, float) else v}" for k, v in params.items())


def leaderboard_table(board: dict[str, Any], limit: int = 15, wide: bool = False) -> Table:
    arrow = "↑" if board.get("greater_is_better") else "↓"
    table = Table(title=f"leaderboard · {board.get('metric')} {arrow}", box=box.SIMPLE_HEAD, pad_edge=False)
    items = board["items"][:limit]
    fold: Literal["fold", "ellipsis"] = "fold" if wide else "ellipsis"
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("trial" if wide else "trial#", justify="right", no_wrap=True,
                     min_width=max((len(i["trial_id"]) for i in items), default=5) if wide else None)
    table.add_column("algorithm", no_wrap=True, min_width=max((len(i["algorithm"]) for i in items), default=9))
    table.add_column("score ± std", justify="right", no_wrap=True)
    table.add_column("s", justify="right", no_wrap=True)
    fixed = [len(str(len(items))), max((len(i["trial_id"]) for i in items), default=5) if wide else 6,
             max((len(i["algorithm"]) for i in items), default=9), 15, 5]
    table.add_column("params", no_wrap=not wide, overflow=fold, max_width=None if wide else rest_width(*fixed))
    for item in items:
        table.add_row(str(item["rank"]), item["trial_id"] if wide else trial_number(item["trial_id"]),
                      item["algorithm"], f"{item['cv_mean']:.4f} ± {item['cv_std']:.4f}",
                      f"{item['fit_seconds']:.1f}", params_text(item["params"]))
    return table
