"""Processes the local stack starts: pid files, logs, start, readiness wait, stop.

``down`` only ever stops processes recorded in our own pid files, and only when the pid still runs
the command we started (a recycled pid is left alone).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from zygarde.errors import StackError


@dataclass(frozen=True)
class ProcessFiles:
    home: Path
    name: str

    @property
    def pidfile(self) -> Path:
        return self.home / "run" / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.home / "logs" / f"{self.name}.log"


def read_pid(files: ProcessFiles) -> int | None:
    try:
        return int(files.pidfile.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def running_pid(files: ProcessFiles, marker: str) -> int | None:
    """The recorded pid if it is alive and its command line still contains ``marker``."""
    pid = read_pid(files)
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        if marker in " ".join(proc.cmdline()):
            return pid
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        pass
    return None


def start(files: ProcessFiles, cmd: list[str], *, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> int:
    """Start ``cmd`` detached in its own session, logging to the component's log file."""
    files.pidfile.parent.mkdir(parents=True, exist_ok=True)
    files.logfile.parent.mkdir(parents=True, exist_ok=True)
    with open(files.logfile, "ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(cmd)}\n".encode())
        log.flush()
        try:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, cwd=cwd, start_new_session=True)
        except OSError as exc:
            raise StackError(files.name, f"cannot run {cmd[0]}: {exc}", str(files.logfile)) from exc
    files.pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def wait_ready(files: ProcessFiles, pid: int, check: Callable[[], bool], timeout: float) -> None:
    """Poll ``check`` until it answers; fail fast if the process died, never hang past ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            raise StackError(files.name, "the process exited during start-up" + _last_lines(files.logfile),
                             str(files.logfile))
        time.sleep(0.3)
    raise StackError(files.name, f"not ready after {timeout:.0f}s", str(files.logfile))


def _last_lines(log: Path, count: int = 6) -> str:
    """The end of this start's output (after our ``--- starting`` line), to show beside the error."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    lines = [line for line in text.rsplit("\n--- ", 1)[-1].splitlines()[1:]
             if line.strip() and not line.lstrip().startswith(("at ", "... "))]  # a Java trace's frames
    return "".join(f"\n    {line[:300]}" for line in lines[-count:])


def stop(files: ProcessFiles, marker: str, timeout: float = 20.0) -> bool:
    """SIGTERM the process group we started, SIGKILL after ``timeout``; True if something stopped."""
    pid = running_pid(files, marker)
    files.pidfile.unlink(missing_ok=True)
    if pid is None:
        return False
    procs = _tree(pid)
    for proc in procs:
        _signal(proc, signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:
        _signal(proc, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)
    return True


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _signal(proc: psutil.Process, sig: int) -> None:
    with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
        proc.send_signal(sig)


def kill9(files: ProcessFiles) -> None:
    """Crash a component on purpose (tests): SIGKILL, no clean-up, pid file kept."""
    pid = read_pid(files)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
            psutil.Process(pid).wait(10)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
