"""An unreadable trial request still ends its trial (TrialFailed "invalid"), so no job waits forever."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.trainer.train import Trainer, _trial_ids
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.bus import MessageMeta
from zygarde.settings import Settings

META = MessageMeta("p.trials", 3, 17, "k")


@pytest.mark.parametrize(("raw", "expected"), [
    pytest.param({"type": "TrialRequested", "job_id": "j", "trial_id": "j-00001", "attempt": 2}, ("j", "j-00001", 2),
                 id="readable-ids"),
    pytest.param({"type": "TrialRequested", "job_id": "j", "trial_id": "t"}, ("j", "t", 1), id="attempt-default"),
    pytest.param({"type": "TrialRequested", "job_id": "j", "trial_id": "t", "attempt": "x"}, ("j", "t", 1),
                 id="attempt-garbage"),
    pytest.param({"type": "TrialRequested", "job_id": "j", "trial_id": 5}, None, id="trial-id-not-a-string"),
    pytest.param({"type": "TrialStarted", "job_id": "j", "trial_id": "t"}, None, id="not-a-request"),
    pytest.param({"type": "TrialRequested", "job_id": "j" * 201, "trial_id": "t"}, None, id="oversized-id"),
    pytest.param([1, 2], None, id="not-an-object"),
])
def test_trial_ids(raw: Any, expected: tuple[str, str, int] | None) -> None:
    assert _trial_ids(json.dumps(raw).encode()) == expected


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"{" * 5000, b"nan"], ids=["bytes", "deep", "not-json"])
def test_trial_ids_of_garbage(raw: bytes) -> None:
    assert _trial_ids(raw) is None


def test_a_known_trial_fails_as_invalid_and_garbage_is_ignored() -> None:
    producer = RecordingProducer()
    known = {"j-00001"}
    trainer = Trainer(Settings(), producer, "w1", known_trial=known.__contains__)  # type: ignore[arg-type]
    request = {"type": "TrialRequested", "job_id": "j", "trial_id": "j-00001", "attempt": 2, "spec": {"bad": 1}}
    trainer.on_dead_letter(json.dumps(request).encode(), META, "invalid TrialRequested: spec.bad")
    trainer.on_dead_letter(json.dumps({**request, "trial_id": "made-up"}).encode(), META, "invalid")
    trainer.on_dead_letter(b"garbage", META, "not JSON")
    assert len(producer.events) == 1
    failed = producer.events[0]
    assert isinstance(failed, ev.TrialFailed)
    assert (failed.job_id, failed.trial_id, failed.attempt, failed.worker) == ("j", "j-00001", 2, "w1")
    assert failed.reason == "invalid" and "spec.bad" in failed.error
    assert producer.flushed == 1, "the failure is durable before the poison message's offset is stored"
