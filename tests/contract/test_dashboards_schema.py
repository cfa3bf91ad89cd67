"""The dashboards against Grafana's own dashboard schema, and what they promise beyond it.

No Grafana server can be run here (no Docker, no Grafana package): the JSON is type-checked with
``tsc`` against ``@grafana/schema`` (npm, the version of the Grafana compose and Kubernetes run),
and every query is evaluated against a real Prometheus in tests/e2e/test_dashboards_live.py.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from typing import Any

import pytest
import yaml

from tests.contract.test_deploy import GRAFANA, PROM, compose, dashboards, load_module

PREPARE = load_module(GRAFANA / "typecheck" / "prepare.py")
GENERATE = load_module(GRAFANA / "generate.py")
COUNTER = re.compile(r"\b(zygarde_[a-z0-9_]+(?:_total|_bucket|_sum|_count))\b")
RAW_METRIC = re.compile(r"\bzygarde_[a-z0-9_]+(\{[^}]*\})?")


def _tsc(boards: dict[str, dict[str, Any]]) -> str:
    folder = PREPARE.install() / "checks" / uuid.uuid4().hex[:12]
    try:
        PREPARE.write_checks(boards, folder)
        res = PREPARE.tsc(folder)
        return res.stdout + res.stderr if res.returncode else ""
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_schema_version_matches_the_grafana_we_run() -> None:
    pinned = json.loads((GRAFANA / "typecheck" / "package.json").read_text())["devDependencies"]["@grafana/schema"]
    assert compose()["services"]["grafana"]["image"] == f"grafana/grafana:{pinned}"


def test_dashboards_type_check_against_grafana_schema() -> None:
    assert _tsc(dashboards()) == ""


@pytest.mark.parametrize("breakage", ["misspelled field", "no unit", "uid of ours", "wrong type"])
def test_the_type_check_fails_on_a_broken_dashboard(breakage: str) -> None:
    board = json.loads(json.dumps(dashboards()["zygarde-overview.json"]))
    panel = board["panels"][0]
    if breakage == "misspelled field":
        panel["gridPoss"] = panel.pop("gridPos")
    elif breakage == "no unit":
        del panel["fieldConfig"]["defaults"]["unit"]
    elif breakage == "uid of ours":
        panel["datasource"]["uid"] = "prometheus"
    else:
        board["schemaVersion"] = "39"
    errors = _tsc({"broken.json": board})
    assert "error TS" in errors, breakage


def test_every_panel_has_a_unit_and_the_dashboards_their_variables() -> None:
    for name, board in dashboards().items():
        names = {v["name"]: v for v in board["templating"]["list"]}
        assert names["datasource"]["type"] == "datasource" and names["datasource"]["query"] == "prometheus"
        assert names["job"]["type"] == "query" and names["job"]["includeAll"], name
        for panel in board["panels"]:
            assert panel["fieldConfig"]["defaults"]["unit"], panel["title"]


def _rules() -> dict[str, str]:
    return {r["record"]: r["expr"] for g in yaml.safe_load((PROM / "rules" / "recording.yml").read_text())["groups"]
            for r in g["rules"]}


def test_counters_are_rates_or_increases_over_grafana_windows_and_recording_rules_are_used() -> None:
    records = _rules()
    used = set()
    for board in dashboards().values():
        for panel in board["panels"]:
            for target in panel["targets"]:
                expr = target["expr"]
                used |= {r for r in records if r in expr}
                # every counter (or histogram series) sits inside rate() / increase() with a Grafana window
                for match in COUNTER.finditer(expr):
                    inner = expr[match.start():]
                    window = re.match(r"zygarde_[a-z0-9_]+(\{[^}]*\})?\[(\$__rate_interval|\$__range)\]", inner)
                    before = expr[:match.start()].rstrip()
                    assert window and before.endswith(("rate(", "increase(")), (panel["title"], expr)
                    assert (window.group(2) == "$__range") == before.endswith("increase("), (panel["title"], expr)
                assert not re.search(r"\[\d+[smh]\]", expr), ("a fixed window", panel["title"], expr)
                # a panel computing what a recording rule already records reads the rule instead
                for record, rule in records.items():
                    assert GENERATE.expand(expr) != rule, (panel["title"], f"use {record}")
                # each raw metric takes the job filter
                for match in RAW_METRIC.finditer(expr):
                    assert match.group(1) and 'job=~"$job"' in match.group(1), (panel["title"], expr)
    assert used == set(records), f"recording rules no panel reads: {sorted(set(records) - used)}"
