"""Every dashboard panel shows a plausible value, and every rule reads series that exist, on a live
Prometheus.

The services run as processes with jobs in flight; a Prometheus of our own (our config, its
targets pointed at this test's ports) scrapes them; then each panel's queries are evaluated through
the HTTP API with Grafana's variables filled in as Grafana would. A panel whose queries return no
series, or only values outside what that panel can plausibly show, fails the test. No Grafana
server can be run here (no Docker, no Grafana package): its part, the dashboard JSON, is
type-checked against Grafana's schema in tests/contract/test_dashboards_schema.py.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.contract.test_deploy import GRAFANA, ROOT, dashboards, load_module, rule_exprs
from tests.e2e.conftest import Services, free_port
from tests.e2e.test_job_flow import AUTH, small_spec, wait_status
from tests.e2e.test_planner_flow import burn_spec
from zygarde import topics
from zygarde.bus import EventProducer

pytestmark = pytest.mark.e2e

SELECTOR = re.compile(r"\b(zygarde_[a-z_]+)(\{[^}]*\})?")
# Grafana's variables as this test fills them: scrapes every second, so a 30 s rate window holds
# 30 points; the range is the test's whole run; every job.
VARIABLES = {"rate_interval": "30s", "range_": "15m", "job": ".+"}

Check = Callable[[list[float]], bool]


def some_between(low: float, high: float) -> Check:
    """At least one value in (low, high]: the panel shows something, and something sensible."""
    return lambda values: any(low < v <= high for v in values)


AT_LEAST_ZERO: Check = lambda values: all(v >= 0 for v in values)  # noqa: E731 - a gauge that may rest at 0
# What each panel may plausibly show at the end of this test's jobs (burn trials of 0.3-0.5 s, the
# smaller job's trials of well under a minute, a scaler allowed no trainers of its own).
PLAUSIBLE: dict[str, Check] = {
    "Consumer lag per partition (trials)": AT_LEAST_ZERO,
    "Trials requested / s": some_between(0, 100),
    "Trials finished / s by outcome": some_between(0, 100),
    "Trial duration p50 / p95 by algorithm": some_between(0, 60),
    "Trainers: desired vs current": AT_LEAST_ZERO,
    "Instance-seconds billed (time range)": AT_LEAST_ZERO,
    "Jobs by status": some_between(0, 1000),
    "Dead-lettered messages (time range) by service and topic": some_between(0.5, 100),
    "Trials in flight": AT_LEAST_ZERO,
    "Bus messages consumed / s by topic": some_between(0, 1000),
    "API requests / s by route and status": some_between(0, 1000),
    "API latency p95 by route": some_between(0, 10),
    "Trials completed by algorithm (time range)": some_between(0.5, 1000),
    "Mean trial seconds by algorithm": some_between(0, 60),
    "Trials finished by the planner / s": some_between(0, 100),
    "Results stored by the selector / s": some_between(0, 100),
    "Trials / s by algorithm and outcome": some_between(0, 100),
    "Trial seconds p95 by algorithm": some_between(0, 60),
}
# The families each service may export besides the bus ones and the process/runtime collectors.
OWN = {"planner": ("zygarde_planner_", "zygarde_http_"), "selector": ("zygarde_selector_",),
       "scaler": ("zygarde_scaler_",), "trainers": ("zygarde_trainer_",)}


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


def panel_problems(url: str) -> list[str]:
    """Each panel whose queries return no series, or no plausible value, with what they returned
    (every panel's values are printed: the figures docs/observability.md quotes)."""
    expand = load_module(GRAFANA / "generate.py").expand
    problems = []
    panels = [p for board in dashboards().values() for p in board["panels"]]
    assert {p["title"] for p in panels} == set(PLAUSIBLE), "a panel without a plausibility check (or a stale one)"
    for panel in panels:
        values = []
        for target in panel["targets"]:
            result = query(url, expand(target["expr"], **VARIABLES))
            values += [float(r["value"][1]) for r in result]
        finite = [v for v in values if math.isfinite(v)]
        print(f"panel | {panel['title']} | {len(values)} series | "
              + (f"{min(finite):.4g} .. {max(finite):.4g}" if finite else "-"))
        if not finite or not PLAUSIBLE[panel["title"]](finite):
            problems.append(f"{panel['title']}: {values or 'no series'}")
    return problems


def foreign_families(targets: dict[str, list[str]]) -> list[str]:
    """Metric families a service exports that belong to another service (each target scraped)."""
    out = []
    for service, addrs in targets.items():
        for addr in addrs:
            text = httpx.get(f"http://{addr}/metrics", timeout=10).text
            for family in text_string_to_metric_families(text):
                name = family.name
                if name.startswith("zygarde_") and not name.startswith(("zygarde_bus_", *OWN[service])):
                    out.append(f"{service} {addr}: {name}")
    return out


def scraped_at_zero(url: str, series: str) -> bool:
    """True once Prometheus (perhaps still starting) has stored ``series`` at 0."""
    try:
        # a starting Prometheus answers queries 503 until its storage is open
        if httpx.get(f"{url}/-/ready", timeout=10).status_code != 200:
            return False
        return bool(query(url, f"{series} == 0"))
    except httpx.TransportError:
        return False


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
        # as in production, Prometheus has scraped the counters at zero before the first event
        # (a series first scraped at 1 has no increase)
        deadline = time.monotonic() + 60
        while not scraped_at_zero(url, 'zygarde_bus_dead_lettered_total{service="planner",topic="jobs"}'):
            assert time.monotonic() < deadline, "Prometheus never scraped the planner"
            time.sleep(0.5)
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
        # the panels are read while a job runs: a long one, read once ten of its trials are done
        running = httpx.post(f"{services.url}/jobs", json=burn_spec(0.1, max_trials=1000, max_parallel=2),
                             headers=AUTH).json()["job_id"]
        deadline = time.monotonic() + 120
        while httpx.get(f"{services.url}/jobs/{running}", timeout=10).json()["trials"]["completed"] < 10:
            assert time.monotonic() < deadline, "the running job completed fewer than 10 trials in 120 s"
            time.sleep(0.5)
        time.sleep(3)  # at least two scrapes after those trials, so rates have two points
        problems = panel_problems(url)
        assert httpx.get(f"{services.url}/jobs/{running}", timeout=10).json()["status"] == "running"
        httpx.post(f"{services.url}/jobs/{running}/cancel", headers=AUTH)
        assert problems == [], "panels with nothing plausible to show:\n" + "\n".join(problems)
        empty = []
        for expr in rule_exprs():
            if " > " in expr or " == " in expr or "absent(" in expr:
                # An alert fires only when its condition holds; every series it reads must exist
                # (a regex matcher such as status=~"5.." may match nothing yet: its metric must exist).
                for m in SELECTOR.finditer(expr):
                    selector = m.group(1) if m.group(2) and "=~" in m.group(2) else m.group(0)
                    if not query(url, selector):
                        empty.append(selector)
            elif not query(url, expr):
                empty.append(expr)
        assert empty == [], "rule expressions with no data:\n" + "\n".join(empty)
        targets_up = query(url, "up")
        assert {t["metric"]["job"] for t in targets_up if t["value"][1] == "1"} == {f"zygarde-{n}" for n in targets}
        lag_series = query(url, "zygarde:consumer_lag:sum")
        assert len(lag_series) == 1 and float(lag_series[0]["value"][1]) >= 0, lag_series
        # each service exports its own families (and the bus ones), never another service's at 0
        assert foreign_families(targets) == []
    finally:
        prom.terminate()
        prom.wait(20)
