"""Platform overhead of two versions, back to back: ``python -m bench platform_ab [BEFORE [AFTER]]``.

Each version (a git ref; default: the commit before the architecture work, and ``HEAD``) is exported with
``git archive`` to a temporary folder and its own ``bench.platform`` runs there as a child process (its
services start from that copy of the code, on the same running Kafka and MongoDB-wire store), alternately,
``ROUNDS`` times each: the per-trial overhead (noop trials, 2 trainers) and submit → first trial running.
The page gives each version's medians over the rounds and the ratio after ÷ before.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

from bench._report import write_markdown

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "d8e06f6"  # the last commit before the services were split (issue 22)
ROUNDS = 3
TRIALS = 300  # noop trials per overhead measurement
# run inside the exported copy: its own bench.platform, on its own services
PROBE = (
    "import json, sys; from bench import platform as p; "
    f"o = p.overhead(trials={TRIALS}, latency_trials=100); f = p.first_trial(repeats=10); "
    "print('RESULT ' + json.dumps({'amortized_ms': o['amortized_ms'], 'median_ms': o['median_ms'], "
    "'p95_ms': o['p95_ms'], 'first_ms': f['median_ms']}))"
)
FIGURES = {"amortized_ms": "per-trial overhead, amortized", "median_ms": "per-trial overhead, median",
           "p95_ms": "per-trial overhead, p95", "first_ms": "submit → first trial running"}


def export(ref: str, into: Path) -> str:
    """The tree of ``ref`` under ``into``; its short commit id."""
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit


def measure(tree: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=tree, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{tree}: exited {proc.returncode}: {proc.stderr.strip()[-600:]}")
    return {k: float(v) for k, v in json.loads(lines[-1].removeprefix("RESULT ")).items()}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv or [])
    refs = [args[0] if args else BEFORE, args[1] if len(args) > 1 else "HEAD"]
    runs: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for i, ref in enumerate(refs):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            trees[export(ref, folder)] = folder
        for round_ in range(ROUNDS):
            for commit, folder in trees.items():
                runs.setdefault(commit, []).append(measure(folder))
                print(f"round {round_ + 1}: {commit} {runs[commit][-1]}", flush=True)
    before, after = list(runs)
    med = {c: {k: statistics.median(r[k] for r in rs) for k in FIGURES} for c, rs in runs.items()}
    rows = [[label, f"{med[before][k]:.1f} ms", f"{med[after][k]:.1f} ms", f"{med[after][k] / med[before][k]:.2f}",
             "met" if med[after][k] <= med[before][k] * 1.05 else "**missed**"]
            for k, label in FIGURES.items()]
    write_markdown("platform_ab", f"Platform overhead before ({before}) and after ({after}), back to back",
                   ["figure", f"before ({before})", f"after ({after})", "after ÷ before", "no worse (≤ 1.05)"],
                   rows, [f"{ROUNDS} rounds, the versions alternating; medians over the rounds. Each round: "
                          f"{TRIALS} noop trials on 2 trainers, then 10 single-trial jobs for submit → first "
                          "trial. Per-round figures:", "",
                          *(f"- {c} round {i + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in r.items())
                            for c, rs in runs.items() for i, r in enumerate(rs))])
    for row in rows:
        print(" · ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
