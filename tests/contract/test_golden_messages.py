"""Golden messages: every version of every message ever published must keep parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.planner.strategies import STRATEGIES
from zygarde import events as ev
from zygarde import topics

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.json"))


def test_every_message_type_has_a_golden_file() -> None:
    covered = {p.name.split(".")[0] for p in GOLDEN}
    assert covered == set(ev.EVENT_TYPES)


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_message_parses_and_keeps_its_envelope(path: Path) -> None:
    raw = path.read_bytes()
    event = ev.decode(raw)
    doc = json.loads(raw)
    assert event.type == doc["type"] == path.name.split(".")[0]
    assert event.event_id == doc["event_id"] and event.job_id == doc["job_id"]
    assert topics.for_event(event) in topics.ALL


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_readers_ignore_unknown_fields(path: Path) -> None:
    doc = json.loads(path.read_bytes())
    doc["a_field_from_the_future"] = {"x": 1}
    assert ev.decode(json.dumps(doc)).event_id == doc["event_id"]


def test_published_schemas_are_current() -> None:
    folder = Path(__file__).parents[2] / "schemas"
    for name, schema in ev.json_schemas(list(STRATEGIES)).items():
        on_disk = json.loads((folder / f"{name}.schema.json").read_text())
        assert on_disk == json.loads(json.dumps(schema)), f"run `zygarde schemas` to refresh {name}"


@pytest.mark.parametrize("raw, reason", [
    pytest.param(b"\xff\xfe", "not JSON", id="binary"),
    pytest.param(b"[1, 2]", "not a JSON object", id="array"),
    pytest.param(b"9" * 300_000, "not JSON", id="huge-integer"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "not JSON", id="deep-nesting"),
    pytest.param(b'{"type": "Nope", "job_id": "j"}', "unknown message type", id="unknown-type"),
    pytest.param(b'{"type": "TrialRequested", "job_id": "j"}', "invalid TrialRequested", id="missing-fields"),
    pytest.param(b'{"type": "JobRejected", "job_id": 5, "reasons": "x"}', "invalid JobRejected", id="wrong-types"),
])
def test_undecodable_messages_raise_one_typed_error(raw: bytes, reason: str) -> None:
    from zygarde.errors import DecodeError

    with pytest.raises(DecodeError, match=reason):
        ev.decode(raw)
