"""A trainer SIGTERM'd while it starts, on a broker that is starting too, exits 0 within a bound.

The compose run's first trainer, stopped by the idle scaler about 40 s after the engine started it
(its libraries still loading on a busy host, the broker still answering "coordinator load in
progress"), was killed at the 60 s drain timeout (137): as PID 1 it dropped a SIGTERM that came
before its consumer installed a handler, then joined its group and ran on. Outside a container the
same early signal kills the process (-SIGTERM) instead of ending it cleanly; either way the stop was
not a drain. Here the broker is this module's own (its own home and ports, never the shared stack's),
started at the same moment as the trainer, and the signal comes during the trainer's start-up."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.conftest import free_port
from zygarde.localstack import components, process, stack
from zygarde.localstack.private_broker import free_port_pair
from zygarde.settings import REPO_ROOT, Settings

STOP_WITHIN_S = 60.0  # the drain timeout the scaler's docker backend and compose give a trainer


def _handles_sigterm(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def _sigterm_handled_before(proc: subprocess.Popen[bytes], library: str, within_s: float = 120.0) -> bool:
    """Wait until ``proc`` handles SIGTERM; True when ``library`` was not yet mapped into it then."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and proc.poll() is None:
        if _handles_sigterm(proc.pid):
            return library not in Path(f"/proc/{proc.pid}/maps").read_text()
        time.sleep(0.002)
    raise AssertionError(f"the trainer never handled SIGTERM within {within_s:.0f} s (exit {proc.poll()})")


def test_a_trainer_stopped_while_it_starts_exits_cleanly(test_settings: Settings, tmp_path: Path) -> None:
    settings = test_settings.model_copy(update={"home": tmp_path / "own-broker",
                                                "kafka_bootstrap": f"127.0.0.1:{free_port_pair()}"})
    kafka = components.KafkaComponent(settings)
    stack.up(settings, ["kafka"])  # formatted, topics made; then started again: the trainer meets it starting
    assert process.stop(kafka.files, kafka.marker)
    env = settings.child_env()
    env.update(ZYGARDE_TRAINER_METRICS_PORT=str(free_port()), ZYGARDE_TRAINER_WORKER_ID="early-stop",
               PYTHONUNBUFFERED="1")
    log = tmp_path / "trainer.log"
    try:
        process.start(kafka.files, kafka.command(), env=kafka.env(), cwd=settings.home)
        with log.open("wb") as out:
            trainer = subprocess.Popen([sys.executable, "-m", "zygarde.cli", "run", "trainer"], env=env,
                                       cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
            # the signal goes as soon as the process handles SIGTERM, which must be before the service's
            # libraries load (a fixed sleep landed before the run command itself had started on an idle
            # host, or after start-up on a busy one)
            early = _sigterm_handled_before(trainer, "sklearn")
            assert trainer.poll() is None, log.read_text()[-2000:]
            assert early, "SIGTERM was only handled once the service's libraries had loaded: a stop " \
                          f"during start-up is lost; log: {log.read_text()[-2000:]}"
            trainer.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            try:
                code = trainer.wait(STOP_WITHIN_S)
            except subprocess.TimeoutExpired:
                trainer.kill()
                trainer.wait()
                raise AssertionError(f"the trainer did not exit within {STOP_WITHIN_S:.0f} s of SIGTERM; "
                                     f"log: {log.read_text()[-3000:]}") from None
        assert code == 0, f"SIGTERM while starting ended the trainer with {code}, not a clean stop: " \
                          f"{log.read_text()[-3000:]}"
        assert time.monotonic() - stopped < STOP_WITHIN_S
    finally:
        process.stop(kafka.files, kafka.marker)
