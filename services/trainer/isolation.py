"""Run one trial's folds in a forked child so a time or memory limit can stop it for sure.

The child trains and sends each fold's running score through a pipe; the parent publishes
progress, checks whether the trial should stop, and kills the child on a stop, on the time
limit, or when it dies. A forked child starts in milliseconds and inherits the parsed dataset.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from zygarde.errors import TrialStopped
from zygarde.ml.cv import CvResult

Work = Callable[[Callable[[int, int, float], None]], CvResult]


class TrialTimeout(TrialStopped):
    def __init__(self, limit: float) -> None:
        super().__init__("timeout")
        self.limit = limit


class TrialCrashed(Exception):
    """The child died or raised: the message says how."""


def _child(conn: Connection, work: Work, memory_mb: int | None) -> None:
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = work(lambda fold, folds, score: conn.send(("fold", fold, folds, score)))
        conn.send(("done", result))
    except MemoryError:
        conn.send(("error", "memory", f"trial exceeded its memory limit of {memory_mb} MB"))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent as data
        conn.send(("error", "error", f"{type(exc).__name__}: {exc}"[:4000]))
    finally:
        conn.close()


def run_limited(work: Work, on_fold: Callable[[int, int, float], None], *, timeout_s: float | None,
                memory_mb: int | None) -> CvResult:
    """Run ``work`` in a child; ``on_fold`` runs in the parent and may raise TrialStopped to stop it."""
    parent, child = mp.get_context("fork").Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_child, args=(child, work, memory_mb), daemon=True)
    started = time.monotonic()
    proc.start()
    child.close()
    try:
        while True:
            left = None if timeout_s is None else timeout_s - (time.monotonic() - started)
            if left is not None and left <= 0:
                raise TrialTimeout(timeout_s or 0.0)
            if not parent.poll(min(left, 0.5) if left is not None else 0.5):
                if not proc.is_alive() and not parent.poll(0):
                    raise TrialCrashed(f"the trial's process died (exit code {proc.exitcode})")
                continue
            try:
                msg: tuple[Any, ...] = parent.recv()
            except EOFError as exc:
                raise TrialCrashed(f"the trial's process died (exit code {proc.exitcode})") from exc
            if msg[0] == "fold":
                on_fold(msg[1], msg[2], msg[3])
            elif msg[0] == "done":
                result: CvResult = msg[1]
                return result
            else:
                raise TrialCrashed(f"{msg[1]}: {msg[2]}")
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
