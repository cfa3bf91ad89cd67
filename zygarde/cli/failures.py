"""How a job's failed trials read in a terminal: each way they failed, how many, which algorithms, and
what was raised (from ``failures`` in ``GET /jobs/{id}``)."""

from __future__ import annotations

from typing import Any

from zygarde.cli.app import console

ERROR_CHARS = 240  # about three lines at 80 columns; `zygarde trials JOB --status failed --json` has it whole


def short_error(error: str, limit: int = ERROR_CHARS) -> str:
    """One line of what was raised: whitespace folded, cut with an ellipsis past ``limit``."""
    line = " ".join(error.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def trial_numbers(trial_ids: list[str]) -> str:
    return ", ".join(str(int(t.rpartition("-")[2])) if t.rpartition("-")[2].isdigit() else t for t in trial_ids)


def print_failures(job: dict[str, Any]) -> None:
    """The job's failed trials grouped by reason and error; nothing when none failed."""
    groups = job.get("failures") or []
    failed = (job.get("trials") or {}).get("failed", 0)
    if not groups:
        return
    total = sum((job.get("trials") or {}).values())
    console.print(f"failed trials: {failed} of {total}", markup=False, highlight=False)
    for group in groups:
        algorithms = ", ".join(group.get("algorithms") or []) or "?"
        error = short_error(group.get("error") or "")
        console.print(f"  ✗ {group['count']} × {group['reason']} ({algorithms})" + (f": {error}" if error else ""),
                      markup=False, highlight=False)
        more = "" if group["count"] <= len(group.get("trial_ids") or []) else ", …"
        console.print(f"    trial# {trial_numbers(group.get('trial_ids') or [])}{more}", markup=False, highlight=False)
    shown = sum(g["count"] for g in groups)
    if shown < failed:
        console.print(f"  … {failed - shown} more in other groups", markup=False, highlight=False)
    console.print(f"  every one: zygarde trials {str(job['job_id'])[:12]} --status failed",
                  markup=False, highlight=False)
