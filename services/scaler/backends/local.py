"""Trainer processes on this machine; Prometheus finds them through a file_sd target file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.scaler.backends._base import BaseScalerBackend

DEFAULT_COMMAND = [sys.executable, "-m", "zygarde.cli", "run", "trainer"]


@dataclass
class _Instance:
    slot: int
    proc: subprocess.Popen[bytes]


class LocalBackend(BaseScalerBackend):
    def __init__(self, env: dict[str, str] | None = None, targets_file: Path | None = None,
                 drain_timeout_s: float = 60.0, log_dir: Path | None = None, command: list[str] | None = None,
                 base_port: int = 9110) -> None:
        self.env = env
        self.targets_file = targets_file
        self.drain_timeout_s = drain_timeout_s
        self.log_dir = log_dir
        self.command = command or DEFAULT_COMMAND
        self.base_port = base_port
        self.instances: list[_Instance] = []

    def _reap(self) -> None:
        self.instances = [i for i in self.instances if i.proc.poll() is None]

    def current(self) -> int:
        self._reap()
        return len(self.instances)

    def scale_to(self, n: int) -> None:
        self._reap()
        while len(self.instances) < n:
            self._start()
        # Newest first: the oldest trainers keep their warm dataset caches.
        to_stop = sorted(self.instances, key=lambda i: i.slot, reverse=True)[: max(0, len(self.instances) - n)]
        for inst in to_stop:
            inst.proc.send_signal(signal.SIGTERM)
        for inst in to_stop:
            try:
                inst.proc.wait(self.drain_timeout_s)
            except subprocess.TimeoutExpired:
                inst.proc.kill()
                inst.proc.wait(10)
        self._reap()
        self._write_targets()

    def _start(self) -> None:
        used = {i.slot for i in self.instances}
        slot = next(s for s in range(1, 10_000) if s not in used)
        env = dict(self.env or {})
        env.update(ZYGARDE_TRAINER_METRICS_PORT=str(self.base_port + slot), ZYGARDE_TRAINER_WORKER_ID=f"trainer-{slot}")
        out: Any = subprocess.DEVNULL
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"trainer-{slot}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(self.command, env=env or None, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        self.instances.append(_Instance(slot, proc))
        self._write_targets()

    def _write_targets(self) -> None:
        if self.targets_file is None:
            return
        targets = [f"127.0.0.1:{self.base_port + i.slot}" for i in self.instances]
        self.targets_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.targets_file.with_suffix(".tmp")
        tmp.write_text(json.dumps([{"targets": targets, "labels": {"service": "trainer"}}]) + "\n")
        tmp.replace(self.targets_file)

    def close(self) -> None:
        self.scale_to(0)
