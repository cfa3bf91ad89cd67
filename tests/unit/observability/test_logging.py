"""Structured logs: ``ZYGARDE_LOG_FORMAT=json`` gives one JSON object a line with job and trial ids
as fields (never as metric labels); ``text`` gives plain lines."""

from __future__ import annotations

import json
import logging

import pytest

from zygarde.observability import setup_logging
from zygarde.settings import Settings


@pytest.mark.parametrize(("fmt", "legacy", "as_json"), [("json", "false", True), ("text", "true", False),
                                                         (None, "false", False), (None, "true", True)])
def test_log_format_chooses_json_or_text(monkeypatch: pytest.MonkeyPatch, fmt: str | None, legacy: str,
                                          as_json: bool) -> None:
    monkeypatch.setenv("ZYGARDE_LOG_JSON", legacy)
    if fmt is None:
        monkeypatch.delenv("ZYGARDE_LOG_FORMAT", raising=False)
    else:
        monkeypatch.setenv("ZYGARDE_LOG_FORMAT", fmt)
    assert Settings().log_json is as_json


def test_an_unknown_log_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYGARDE_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="log_format"):
        Settings()


def test_json_lines_carry_job_and_trial_ids_as_fields(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        setup_logging("trainer", "INFO", as_json=True)
        logging.getLogger("zygarde.trainer").info("trial failed: %s", "boom",
                                                  extra={"job_id": "j-1", "trial_id": "t-7", "attempt": 2})
        setup_logging("trainer", "INFO", as_json=False)
        logging.getLogger("zygarde.trainer").info("plain")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    first, second = capsys.readouterr().err.strip().splitlines()
    doc = json.loads(first)
    assert doc["msg"] == "trial failed: boom" and doc["service"] == "trainer" and doc["level"] == "INFO"
    assert (doc["job_id"], doc["trial_id"], doc["attempt"]) == ("j-1", "t-7", 2)
    assert second.endswith("trainer INFO plain")
