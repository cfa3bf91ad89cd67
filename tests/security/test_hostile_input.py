"""Hostile input on every door: bad tokens, huge bodies, escaping paths, garbage on the topics."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import AUTH, check_completed_job, read_topic, small_spec
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import EventProducer
from zygarde.errors import SpecError
from zygarde.ml.validation import check_job

pytestmark = pytest.mark.e2e

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
spec_like = st.fixed_dictionaries({}, optional={
    "name": json_values, "dataset": st.fixed_dictionaries({}, optional={
        "uri": st.sampled_from(["builtin:breast_cancer", "builtin:nope", "file:///etc/passwd", "http://x/y.csv",
                                "file:///../../etc/shadow", ""]) | json_values,
        "target": st.sampled_from(["target", "", "missing"]) | json_values, "drop": json_values,
        "holdout": json_values}),
    "metric": st.sampled_from(["roc_auc", "rmse", "nope"]) | json_values, "task": json_values,
    "algorithms": json_values, "search": json_values, "cv": json_values, "imbalance": json_values,
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=spec_like)
def test_any_spec_is_accepted_or_refused_with_reasons_never_a_crash(raw: dict[str, Any], tmp_path_factory: Any) -> None:
    tmp = tmp_path_factory.getbasetemp()
    try:
        spec, task = check_job(raw, [tmp], tmp / "cache")
    except SpecError as exc:
        assert exc.reasons and all(isinstance(r, str) and r for r in exc.reasons)
    else:
        assert spec.dataset.uri == "builtin:breast_cancer" and task in ("binary", "multiclass", "regression")


@pytest.mark.parametrize("uri", [
    pytest.param("file:///etc/passwd", id="etc-passwd"),
    pytest.param("file:///tmp/../etc/passwd", id="dotdot"),
    pytest.param("http://example.com/data.csv", id="http"),
    pytest.param("s3://bucket/data.csv", id="s3-unconfigured"),
    pytest.param("builtin:../../etc/passwd", id="builtin-escape"),
])
def test_escaping_dataset_uris_are_refused_over_http(services: Services, uri: str) -> None:
    spec = small_spec()
    spec["dataset"]["uri"] = uri
    resp = httpx.post(f"{services.url}/jobs", json=spec, headers=AUTH)
    assert resp.status_code == 422
    assert any("dataset" in r for r in resp.json()["detail"])


def test_symlink_out_of_the_data_root_is_refused(services: Services, tmp_path: Path) -> None:
    root = Path(services.settings.data_roots)
    root.mkdir(parents=True, exist_ok=True)
    (root / "escape.csv").symlink_to("/etc/passwd")
    spec = small_spec()
    spec["dataset"] = {"uri": (root / "escape.csv").as_uri(), "target": "x"}
    resp = httpx.post(f"{services.url}/jobs", json=spec, headers=AUTH)
    assert resp.status_code == 422 and "outside the data roots" in " ".join(resp.json()["detail"])


def test_writes_need_the_right_token_and_bodies_have_a_limit(services: Services) -> None:
    url = services.url
    assert httpx.post(f"{url}/jobs", json=small_spec()).status_code == 401
    assert httpx.post(f"{url}/jobs", json=small_spec(), headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.post(f"{url}/jobs", json=small_spec(), headers={"Authorization": "test-token"}).status_code == 401
    assert httpx.post(f"{url}/jobs/x/cancel").status_code == 401
    big = {"name": "x" * 2_000_000}
    assert httpx.post(f"{url}/jobs", json=big, headers=AUTH).status_code == 413
    assert httpx.post(f"{url}/jobs", content=b"not json", headers=AUTH).status_code == 422
    assert httpx.post(f"{url}/jobs", json=[1, 2], headers=AUTH).status_code == 422
    assert httpx.get(f"{url}/jobs/unknown").status_code == 404
    assert httpx.get(f"{url}/healthz").status_code == 200


def test_garbage_on_every_topic_is_dead_lettered_and_the_next_job_completes(services: Services) -> None:
    s = services.settings
    # each topic's garbage from the one principal that may write it: jobs the submitter's, trials the
    # planner's, results a trainer's (the ACLs refuse anyone else: tests/security/test_kafka_acls.py)
    writers = {topics.JOBS: EventProducer(s.kafka_bootstrap, s.topic_prefix, service="submitter"),
               topics.TRIALS: EventProducer(s.kafka_bootstrap, s.topic_prefix, service="planner"),
               topics.RESULTS: EventProducer(s.kafka_bootstrap, s.topic_prefix, service="trainer")}
    payloads = [b"", b"\x00\xff" * 10, b"{", b"[]", b'{"type": "JobSubmitted"}', b'{"type": "Nope", "job_id": "x"}',
                b'{"type": "TrialRequested", "job_id": "x", "trial_id": 5}', b"9" * 300_000,
                ev.JobSubmitted(job_id="wrong-topic", spec={}).to_bytes()]
    sent = 0
    per_topic = 167  # 501 poison messages in all
    for topic in (topics.JOBS, topics.TRIALS, topics.RESULTS):
        for i in range(per_topic):
            writers[topic].publish_raw(topic, payloads[i % len(payloads)], f"k{i}")
            sent += 1
    for producer in writers.values():
        producer.flush()
    # A valid JobSubmitted is garbage on trials and results, but a real (if empty, so rejected) job on jobs.
    valid_on_jobs = sum(1 for i in range(per_topic) if i % len(payloads) == len(payloads) - 1)
    # results is read by two groups (planner, selector): each dead-letters what it cannot read
    expected = (per_topic - valid_on_jobs) + per_topic + 2 * per_topic
    deadline = time.monotonic() + 90
    letters: list[ev.Event] = []
    while time.monotonic() < deadline:
        letters = read_topic(services, topics.DLQ, until=expected, timeout=5)
        if len(letters) >= expected:
            break
    by_topic = {t.physical(s.topic_prefix): 0 for t in (topics.JOBS, topics.TRIALS, topics.RESULTS)}
    for letter in letters:
        assert isinstance(letter, ev.MessageDeadLettered) and letter.error
        by_topic[letter.source_topic] += 1
    assert by_topic[topics.JOBS.physical(s.topic_prefix)] == per_topic - valid_on_jobs
    assert by_topic[topics.TRIALS.physical(s.topic_prefix)] == per_topic
    assert by_topic[topics.RESULTS.physical(s.topic_prefix)] == 2 * per_topic
    assert httpx.get(f"{services.url}/jobs/wrong-topic").json()["status"] == "rejected"
    assert all(services.alive().values())
    job_id = httpx.post(f"{services.url}/jobs", json=small_spec(max_trials=3), headers=AUTH).json()["job_id"]
    check_completed_job(services, job_id, 3)
