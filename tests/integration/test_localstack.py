"""``zygarde up | status | down`` on ports of its own: idempotent, truthful, leaves nothing behind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.e2e.conftest import free_port
from zygarde.localstack.private_broker import free_port_pair

pytestmark = pytest.mark.integration


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zygarde.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_up_status_up_again_down(tmp_path: Path, kafka_bootstrap: str) -> None:
    kafka_port = free_port_pair()  # the controller listens on kafka_port + 1
    env = dict(os.environ,
               ZYGARDE_HOME=str(tmp_path / "home"),
               ZYGARDE_KAFKA_BOOTSTRAP=f"127.0.0.1:{kafka_port}",
               ZYGARDE_MONGO_URI=f"mongodb://127.0.0.1:{free_port()}/zygarde",
               ZYGARDE_PROMETHEUS_URL=f"http://127.0.0.1:{free_port()}",
               ZYGARDE_ALERTMANAGER_URL=f"http://127.0.0.1:{free_port()}",
               COLUMNS="200")
    first = _cli(env, "up", "--only", "kafka,mongo,prometheus,alertmanager")
    try:
        assert first.returncode == 0, first.stdout + first.stderr
        assert first.stdout.count("started") == 4, first.stdout
        pids = {p.read_text().strip() for p in (tmp_path / "home" / "run").glob("*.pid")}
        assert len(pids) == 4

        status = _cli(env, "status")
        assert status.returncode == 0, status.stdout
        for name in ("kafka", "mongo", "prometheus", "alertmanager"):
            assert any(name in line and " up " in line for line in status.stdout.splitlines()), status.stdout

        again = _cli(env, "up", "--only", "kafka,mongo,prometheus,alertmanager")
        assert again.returncode == 0
        assert again.stdout.count("reused") == 4 and "started" not in again.stdout, again.stdout
        assert {p.read_text().strip() for p in (tmp_path / "home" / "run").glob("*.pid")} == pids
    finally:
        down = _cli(env, "down")
    assert down.returncode == 0, down.stderr
    assert not any(psutil.pid_exists(int(p)) and psutil.Process(int(p)).status() != psutil.STATUS_ZOMBIE
                   for p in pids), "a process of ours survived `down`"
    status = _cli(env, "status")
    assert status.returncode == 3, "status must say the stack is down"
    assert json.dumps(status.stdout).count("down") >= 4


def test_a_component_that_cannot_start_says_which_why_and_where(tmp_path: Path, kafka_bootstrap: str) -> None:
    # The port of the running test broker is taken: a second Kafka cannot bind it.
    host, port = kafka_bootstrap.rsplit(":", 1)
    env = dict(os.environ, ZYGARDE_HOME=str(tmp_path / "home"),
               ZYGARDE_KAFKA_BOOTSTRAP=f"{host}:{free_port()}", COLUMNS="200")
    broken = tmp_path / "home" / "kafka" / "data"
    broken.mkdir(parents=True)
    (broken / "meta.properties").write_text("garbage that is not a formatted log dir\n")
    res = _cli(env, "up", "--only", "kafka")
    _cli(env, "down")
    assert res.returncode == 1
    assert "kafka" in res.stderr and "log:" in res.stderr, res.stderr
    assert "ERROR" in res.stderr, "the error should quote the end of the broker's own log"


@pytest.mark.parametrize("taken", [0, 1], ids=["broker port", "controller port"])
def test_a_port_in_use_is_named_before_anything_starts(tmp_path: Path, taken: int) -> None:
    kafka_port = free_port_pair()
    env = dict(os.environ, ZYGARDE_HOME=str(tmp_path / "home"),
               ZYGARDE_KAFKA_BOOTSTRAP=f"127.0.0.1:{kafka_port}", COLUMNS="200")
    with socket.socket() as other:  # another program listens there (not a broker: `up` cannot reuse it)
        other.bind(("127.0.0.1", kafka_port + taken))
        other.listen()
        res = _cli(env, "up", "--only", "kafka")
    _cli(env, "down")
    assert res.returncode == 1
    assert f"127.0.0.1:{kafka_port + taken} is already in use" in res.stderr, res.stderr
    assert not (tmp_path / "home" / "run" / "kafka.pid").exists(), "nothing should have been started"
