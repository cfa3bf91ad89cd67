"""Trainer processes on this machine; Prometheus finds them through a file_sd target file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from services.scaler.backends._base import BaseScalerBackend

DEFAULT_COMMAND = [sys.executable, "-m", "zygarde.cli", "run", "trainer"]


@dataclass
class _Instance:
    slot: int
    proc: subprocess.Popen[bytes]
    kill_at: float | None = None  # set once SIGTERM is sent: the drain deadline


class LocalBackend(BaseScalerBackend):
    """Starts ``command`` once per trainer; trainer ``slot`` serves metrics on ``base_port + slot``.

    Scale-in sends SIGTERM to the newest trainers and returns at once: a trainer finishes its trial
    first, and blocking the scaler loop for that long would delay the next scale-out. Trainers past
    ``drain_timeout_s`` get SIGKILL at the next call; ``close()`` waits for all of them.
    """

    def __init__(self, env: dict[str, str] | None = None, targets_file: Path | None = None,
                 drain_timeout_s: float = 60.0, log_dir: Path | None = None, command: list[str] | None = None,
                 base_port: int = 9110) -> None:
        self.env = env
        self.targets_file = targets_file
        self.drain_timeout_s = drain_timeout_s
        self.log_dir = log_dir
        self.command = command or DEFAULT_COMMAND
        self.base_port = base_port
        self.instances: list[_Instance] = []  # serving, oldest first
        self.draining: list[_Instance] = []

    def _reap(self) -> None:
        now = time.monotonic()
        for inst in self.draining:
            if inst.kill_at is not None and now >= inst.kill_at and inst.proc.poll() is None:
                inst.proc.kill()
                inst.proc.wait(5)  # SIGKILL is not refusable: reap it now so counts are truthful
        self.draining = [i for i in self.draining if i.proc.poll() is None]
        self.instances = [i for i in self.instances if i.proc.poll() is None]

    def current(self) -> int:
        """Trainers running and not draining: the ones that take new trials."""
        self._reap()
        return len(self.instances)

    def billed(self) -> int:
        """Serving plus draining trainers: a draining one still occupies the machine."""
        self._reap()
        return len(self.instances) + len(self.draining)

    picks_idle = True  # a trainer's worker id is ``trainer-<slot>``

    def scale_to(self, n: int, busy: Collection[str] | None = None) -> None:
        """Start trainers up to ``n``, or SIGTERM down to ``n``: the idle ones (not in ``busy``) first."""
        self._reap()
        while len(self.instances) < n:
            self._start()
        # Newest first within each: the oldest trainers keep their warm dataset caches.
        working = set(busy or ())
        order = sorted(range(len(self.instances)),
                       key=lambda k: (f"trainer-{self.instances[k].slot}" in working, -k))
        leaving = [self.instances[k] for k in order[: max(0, len(self.instances) - max(0, n))]]
        self.instances = [i for i in self.instances if i not in leaving]
        for inst in leaving:
            inst.proc.send_signal(signal.SIGTERM)
            inst.kill_at = time.monotonic() + self.drain_timeout_s
            self.draining.append(inst)
        self._write_targets()

    def _start(self) -> None:
        used = {i.slot for i in self.instances + self.draining}  # a draining trainer still holds its port
        slot = next(s for s in range(1, 10_000) if s not in used)
        env = dict(self.env or {})
        env.update(ZYGARDE_TRAINER_METRICS_PORT=str(self.base_port + slot),
                   ZYGARDE_TRAINER_WORKER_ID=f"trainer-{slot}")
        log = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = open(self.log_dir / f"trainer-{slot}.log", "ab")  # noqa: SIM115 - closed once the child has it
        try:
            proc = subprocess.Popen(self.command, env=env or None, stdout=log or subprocess.DEVNULL,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            if log is not None:
                log.close()  # the child holds its own descriptor; keeping ours would leak one per start
        self.instances.append(_Instance(slot, proc))
        self._write_targets()

    def _write_targets(self) -> None:
        if self.targets_file is None:
            return
        slots = sorted(i.slot for i in self.instances)
        targets = [f"127.0.0.1:{self.base_port + slot}" for slot in slots]
        self.targets_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.targets_file.with_suffix(".tmp")
        tmp.write_text(json.dumps([{"targets": targets, "labels": {"service": "trainer"}}]) + "\n")
        tmp.replace(self.targets_file)  # atomic: Prometheus never reads a half-written file

    def close(self) -> None:
        """Stop every trainer this backend started, waiting up to the drain timeout, then killing."""
        self.scale_to(0)
        for inst in self.draining:
            try:
                inst.proc.wait(max(0.0, (inst.kill_at or 0.0) - time.monotonic()))
            except subprocess.TimeoutExpired:
                inst.proc.kill()
                inst.proc.wait(10)
        self._reap()
