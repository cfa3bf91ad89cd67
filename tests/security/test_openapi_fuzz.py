"""schemathesis against the planner's own OpenAPI, on the real stack: no 5xx, every status documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Services

pytestmark = pytest.mark.e2e


def test_every_operation_answers_within_its_contract(services: Services, tmp_path: Path) -> None:
    """Generated requests (valid, invalid, with and without the token) against every operation: the
    planner never answers 5xx and only answers statuses its OpenAPI documents."""
    schema = httpx.get(f"{services.url}/openapi.json").json()
    assert len(schema["paths"]) >= 8
    report = tmp_path / "fuzz.json"
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{services.url}/openapi.json",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance",
         "--header", "Authorization: Bearer test-token", "--max-examples", "15", "--seed", "7",
         "--workers", "1", "--phases", "examples,coverage,fuzzing", "--request-timeout", "60",
         "--no-color", "--report", "json", "--report-json-path", str(report)],
        capture_output=True, text=True, timeout=540)
    tail = (run.stdout + run.stderr)[-6000:]
    assert run.returncode == 0, tail
    assert all(services.alive().values()), "a service died under fuzzing"
    tested = json.loads(report.read_text()) if report.exists() else {}
    assert tested, tail
