"""Where a trial's CPU goes inside each service: py-spy samples the planner, the selector and both
trainers while noop trials run through the stack (as the platform bench's amortized run: 64 in flight).

Each process's active samples (py-spy leaves out threads that wait in a system call) are put in one
category each, the first of ``CATEGORIES`` whose pattern appears anywhere in the sample's stack, and the
process's CPU per trial (user + system, psutil, same job) is shared out in those proportions. The
broker (Java) and the MongoDB-wire server (Go) are not Python: their CPU per trial is measured whole.

``python -m bench profile`` writes ``bench/results/profile.md``, ``profile.png`` and, per process, the
collapsed stacks (``profile-<process>.txt``, what flame-graph tools read) to ``bench/results/``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench._report import RESULTS, write_markdown
from bench._stack import bench_stack
from bench.platform import spec

TRIALS = 600
RATE = 100  # samples per second and process

# (category, substrings of a frame): the first category found anywhere in a stack takes the sample
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("the trial's own CV (run_cv)", ("run_cv (",)),
    ("MongoDB client (pymongo)", ("pymongo/",)),
    ("events: validate / serialize (pydantic)", ("pydantic", "zygarde/events/")),
    ("Kafka client (confluent_kafka calls)", ("zygarde/bus/", "confluent_kafka")),
    ("metrics (prometheus_client)", ("prometheus_client",)),
    ("logging", ("logging/",)),
    ("dataset and split (cached)", ("zygarde/ml/datasets.py", "train_part (")),
    ("winner: refit, holdout, reports (selector)", ("zygarde/registry/evaluation.py", "zygarde/registry/reports.py",
                                                    "zygarde/registry/artifacts.py", "diagnostics.py")),
    ("strategy (ask / tell)", ("services/planner/strategies/",)),
)
OTHER = "everything else (service code, threads)"


def categorize(stack: str) -> str:
    for name, patterns in CATEGORIES:
        if any(p in stack for p in patterns):
            return name
    return OTHER


def read_collapsed(path: Path) -> Counter[str]:
    """py-spy's raw output: ``frame;frame;...;leaf count`` per line."""
    stacks: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def by_category(stacks: Counter[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for stack, n in stacks.items():
        out[categorize(stack)] += n
    return out


ENTRY_POINTS = ("zygarde/cli/", "zygarde/bus/consumer.py", "/__main__.py")  # under every sample of a service


def top_functions(stacks: Counter[str], n: int = 8) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The ``n`` largest functions of the project's own code by inclusive share of the samples (a frame
    counted once per stack; the entry points and the consumer loop, under everything, left out), and
    the ``n`` largest leaf functions (where the samples were taken) by self share."""
    total = sum(stacks.values()) or 1
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        for frame in set(frames):
            if ("zygarde/" in frame or "services/" in frame) and not any(e in frame for e in ENTRY_POINTS):
                inclusive[frame] += count
        own[frames[-1]] += count
    return ([(f, c / total) for f, c in inclusive.most_common(n)], [(f, c / total) for f, c in own.most_common(n)])


def record(pids: dict[str, int], out: Path) -> dict[str, subprocess.Popen[bytes]]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return {name: subprocess.Popen([spy, "record", "--nonblocking", "--function", "--format", "raw",
                                    "--rate", str(RATE), "-o", str(out / f"profile-{name}.txt"), "-p", str(pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for name, pid in pids.items()}


def measure(trials: int = TRIALS) -> tuple[dict[str, Counter[str]], dict[str, float]]:
    """Collapsed stacks per Python service, and every process's CPU ms per trial (Kafka, MongoDB too)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    with bench_stack(trainers=2) as stack:
        stack.wait(stack.submit(spec("noop", 200, 64)))  # warm caches and the broker's JIT
        pids = {n: pid for n, pid in stack.pids().items() if n not in ("kafka", "mongo")}
        spies = record(pids, RESULTS)
        time.sleep(1.0)  # py-spy attached
        before = stack.cpu_seconds()
        stack.wait(stack.submit(spec("noop", trials, 64)), poll_s=0.5)
        after = stack.cpu_seconds()
        for proc in spies.values():
            proc.send_signal(signal.SIGINT)
        for name, proc in spies.items():
            _, err = proc.communicate(timeout=60)
            if not (RESULTS / f"profile-{name}.txt").exists():
                raise RuntimeError(f"py-spy wrote nothing for {name}: {err.decode()[-500:]}")
    cpu = {n: (after[n] - before.get(n, after[n])) / trials * 1000 for n in after}
    return {n: read_collapsed(RESULTS / f"profile-{n}.txt") for n in pids}, cpu


def report(stacks: dict[str, Counter[str]], cpu: dict[str, float], trials: int) -> list[str]:
    order = [name for name, _ in CATEGORIES] + [OTHER]
    shares = {p: by_category(s) for p, s in stacks.items()}
    ms = {p: {c: cpu.get(p, 0.0) * n / (sum(shares[p].values()) or 1) for c, n in shares[p].items()} for p in shares}
    totals = Counter[str]()
    for per in ms.values():
        totals.update(per)
    rows = [[c, *(f"{ms[p].get(c, 0.0):.1f}" for p in stacks), f"**{totals[c]:.1f}**"] for c in order if totals[c]]
    rows.append(["**process CPU per trial**", *(f"**{cpu.get(p, 0.0):.1f}**" for p in stacks),
                 f"**{sum(cpu.get(p, 0.0) for p in stacks):.1f}**"])
    notes = ["Not Python, measured whole: " + ", ".join(f"{n} {cpu[n]:.1f} ms" for n in ("kafka", "mongo") if n in cpu)
             + f" of CPU per trial. {trials} noop trials (breast_cancer, 2 folds), 64 in flight, 2 trainers; "
             f"py-spy at {RATE} samples/s per process (it leaves out threads waiting in a system call), each "
             "process's measured CPU shared out by its samples. A category takes a sample when one of its "
             "frames is anywhere in the stack (first match in the order of the table).", ""]
    for p, s in stacks.items():
        ours, leaves = top_functions(s)
        notes += [f"### {p} ({sum(s.values()):,} samples)", "",
                  "| our function | inclusive | | where the samples were taken | self |", "|---|---|---|---|---|"]
        notes += [f"| `{a}` | {x:.1%} | | `{b}` | {y:.1%} |" for (a, x), (b, y) in zip(ours, leaves, strict=False)]
        notes.append("")
    notes += ["Collapsed stacks: `profile-<process>.txt` beside this page (any flame-graph tool reads them).", "",
              "![CPU per trial by category and process](profile.png)"]
    write_markdown("profile", "Where a noop trial's CPU goes, per service (py-spy)",
                   ["category (ms of CPU per trial)", *stacks, "all"], rows, notes)
    _plot(ms, order, cpu)
    return [" · ".join(r) for r in rows]


def _plot(ms: dict[str, dict[str, float]], order: list[str], cpu: dict[str, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    procs = [*ms, *(n for n in ("kafka", "mongo") if n in cpu)]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    bottom = [0.0] * len(procs)
    cmap = plt.get_cmap("tab10")
    for i, c in enumerate([*order, "not Python (measured whole)"]):
        values = [ms[p].get(c, 0.0) if p in ms else (cpu[p] if c.startswith("not Python") else 0.0) for p in procs]
        if any(values):
            ax.bar(procs, values, bottom=bottom, label=c, color=cmap(i % 10))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("CPU ms per noop trial")
    ax.set_title("Where a noop trial's CPU goes (py-spy samples × measured CPU)")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(RESULTS / "profile.png", dpi=110)
    plt.close(fig)


def main(trials: int = TRIALS) -> None:
    stacks, cpu = measure(trials)
    for line in report(stacks, cpu, trials):
        print(line)


if __name__ == "__main__":
    main()
