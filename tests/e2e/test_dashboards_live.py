"""Every PromQL expression of the dashboards and rules returns data from a live Prometheus.

The services run as processes with a job in flight; a Prometheus of our own (our config, its
targets pointed at this test's ports) scrapes them; then each expression is evaluated through the
HTTP API. A panel that would show nothing fails the test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.contract.test_deploy import ROOT, dashboard_exprs, rule_exprs
from tests.e2e.conftest import Services, free_port
from tests.e2e.test_job_flow import AUTH, small_spec, wait_status
from tests.e2e.test_planner_flow import burn_spec
from zygarde import topics
from zygarde.bus import EventProducer

pytestmark = pytest.mark.e2e

SELECTOR = re.compile(r"\b(zygarde_[a-z_]+)(\{[^}]*\})?")


def prometheus_config(tmp: Path, targets: dict[str, list[str]]) -> Path:
    etc = tmp / "prom"
    shutil.copytree(ROOT / "deploy" / "prometheus", etc)
    config = yaml.safe_load((etc / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    config["scrape_configs"] = [
        {"job_name": f"zygarde-{name}", "static_configs": [{"targets": addrs, "labels": {"service": name}}]}
        for name, addrs in targets.items()
    ]
    (etc / "prometheus.yml").write_text(yaml.safe_dump(config))
    return etc / "prometheus.yml"


def query(url: str, expr: str) -> list[dict]:
    resp = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10)
    assert resp.status_code == 200, (expr, resp.text)
    return list(resp.json()["data"]["result"])


def top_in_a_terminal(services: Services, prom_url: str, tmp_path: Path, timeout: float = 60) -> tuple[float, float]:
    """Run ``zygarde top`` in a real terminal (tmux) and read lag and completions/s off the screen
    until both are non-zero (or the time is up): what a user watching it would see."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is needed to test zygarde top in a real terminal (apt-get install tmux)")
    session = f"top-{tmp_path.name[-12:]}"
    env = " ".join(f"{k}={v}" for k, v in {**services.env, "ZYGARDE_PROMETHEUS_URL": prom_url}.items()
                   if k.startswith("ZYGARDE_"))
    command = f"env {env} {sys.executable} -m zygarde.cli top --interval 1"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "30", command], check=True)
    lag = done = 0.0
    screen = ""
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (lag > 0 and done > 0):
            time.sleep(1)
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            lag = max(lag, _row(screen, "consumer lag (trials)"))
            done = max(done, _row(screen, "trials completed /s"))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    assert "Zygarde" in screen, f"zygarde top drew no table:\n{screen}"
    return lag, done


def _row(screen: str, label: str) -> float:
    match = re.search(re.escape(label) + r"\W+([0-9.]+)", screen)
    return float(match.group(1)) if match else 0.0


def test_every_dashboard_and_rule_expression_returns_data(services: Services, tmp_path: Path) -> None:
    scaler_port = free_port()
    services.start("scaler", "scaler", ZYGARDE_SCALER_METRICS_PORT=str(scaler_port), ZYGARDE_SCALER_BACKEND="local",
                   ZYGARDE_SCALER_MAX_REPLICAS="0", ZYGARDE_SCALER_INTERVAL_S="1")
    trainer_ports = [services.trainer_ports[n] for n in sorted(services.trainer_ports)]
    targets = {
        "planner": [services.url.removeprefix("http://")],
        "selector": [f"127.0.0.1:{services.env['ZYGARDE_SELECTOR_METRICS_PORT']}"],
        "scaler": [f"127.0.0.1:{scaler_port}"],
        "trainers": [f"127.0.0.1:{p}" for p in trainer_ports],
    }
    prom_port = free_port()
    config = prometheus_config(tmp_path, targets)
    prom = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "wb"))  # noqa: SIM115
    url = f"http://127.0.0.1:{prom_port}"
    try:
        s = services.settings
        producer = EventProducer(s.kafka_bootstrap, s.topic_prefix)
        producer.publish_raw(topics.JOBS, b"garbage for the DLQ series", "k")
        producer.flush()
        # a cancelled job: its queued trials end as failures, so the failure series exist too
        doomed = httpx.post(f"{services.url}/jobs", json=burn_spec(0.5, max_trials=4, max_parallel=4),
                            headers=AUTH).json()["job_id"]
        time.sleep(0.5)
        httpx.post(f"{services.url}/jobs/{doomed}/cancel", headers=AUTH)
        busy = httpx.post(f"{services.url}/jobs", json=burn_spec(0.3, max_trials=24, max_parallel=12),
                          headers=AUTH).json()["job_id"]
        lag, done = top_in_a_terminal(services, url, tmp_path)
        assert lag > 0 and done > 0, "zygarde top showed no lag or no throughput while trials ran"
        wait_status(services, busy, {"completed"}, timeout=180)
        job_id = httpx.post(f"{services.url}/jobs", json=small_spec(max_trials=10, max_parallel=2),
                            headers=AUTH).json()["job_id"]
        wait_status(services, job_id, {"completed"}, timeout=180)
        time.sleep(3)  # at least two scrapes after the last trial, so rates have two points
        empty = [e for e in dashboard_exprs() if not query(url, e)]
        for expr in rule_exprs():
            if " > " in expr or " == " in expr or expr.strip().startswith("sum(zygarde_scaler_consumer_lag) >"):
                # An alert fires only when its condition holds; every series it reads must exist.
                empty += [m.group(0) for m in SELECTOR.finditer(expr) if not query(url, m.group(0))]
            elif not query(url, expr):
                empty.append(expr)
        assert empty == [], "expressions with no data:\n" + "\n".join(empty)
        targets_up = query(url, "up")
        assert {t["metric"]["job"] for t in targets_up if t["value"][1] == "1"} == {f"zygarde-{n}" for n in targets}
        assert json.dumps(query(url, "sum(zygarde_scaler_consumer_lag)"))
    finally:
        prom.terminate()
        prom.wait(20)
