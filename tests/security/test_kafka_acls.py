"""The local broker with ``ZYGARDE_KAFKA_SASL``: a broker of this module's own (its own home and ports,
never the shared stack's) started by the same code as ``zygarde up``, then attacked.

Each attempt is judged by the broker itself: a client without credentials, with a wrong password, or
with a principal that has no ACL for the topic is refused, and nothing it sent can be read back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

from zygarde import events as ev
from zygarde import topics
from zygarde.bus import EventProducer
from zygarde.bus.producer import PublishError
from zygarde.localstack import kafka_auth
from zygarde.localstack.private_broker import private_broker
from zygarde.settings import KAFKA_PRINCIPALS, Settings, kafka_client_conf

PREFIX = "sec."


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with private_broker(tmp_path_factory.mktemp("sasl-home"), PREFIX, sasl=True) as settings:
        yield settings


def conf_of(settings: Settings, principal: str | None, **more: Any) -> dict[str, Any]:
    conf: dict[str, Any] = {"bootstrap.servers": settings.kafka_bootstrap, "message.timeout.ms": 8000,
                            "socket.timeout.ms": 5000, **more}
    if principal is not None:
        creds = kafka_auth.credentials(settings)
        conf.update(kafka_auth.client_conf(principal, creds[principal]))
    return conf


def produce(settings: Settings, principal: str | None, topic: str, value: bytes, **more: Any) -> KafkaError | None:
    """Send one message and wait for the broker's answer: None when acknowledged, else the error."""
    outcome: list[KafkaError | None] = []
    producer = Producer(conf_of(settings, principal, **more))
    producer.produce(f"{PREFIX}{topic}", value=value, on_delivery=lambda err, msg: outcome.append(err))
    producer.flush(20)
    assert outcome, "no delivery report within 20 s"
    return outcome[0]


def read_all(settings: Settings, topic: str) -> list[bytes]:
    """Every message on the topic up to its end now, read as the admin (partitions assigned, no group)."""
    from confluent_kafka import TopicPartition

    name = f"{settings.topic_prefix}{topic}"
    consumer = Consumer(conf_of(settings, kafka_auth.ADMIN, **{"group.id": "audit", "enable.auto.commit": False}))
    parts = consumer.list_topics(name, timeout=10).topics[name].partitions
    ends = {p: consumer.get_watermark_offsets(TopicPartition(name, p), timeout=10)[1] for p in parts}
    consumer.assign([TopicPartition(name, p, 0) for p, end in ends.items() if end > 0])
    seen: list[bytes] = []
    left = {p: end for p, end in ends.items() if end > 0}
    while left:
        msg = consumer.poll(10.0)
        assert msg is not None, f"{name}: stopped short of the end {left}"
        if msg.error() is None:
            seen.append(msg.value() or b"")
            if (msg.offset() or 0) + 1 >= left.get(msg.partition() or 0, 0):
                left.pop(msg.partition(), None)
    consumer.close()
    return seen


def marker() -> bytes:
    return f"attack-{uuid.uuid4().hex}".encode()


def test_credentials_and_client_files_are_private(broker: Settings) -> None:
    home = broker.home
    for path in [home / "kafka" / "credentials.json", home / "kafka-client.properties", home / "kafka" /
                 "server.properties", *(home / "kafka" / f"{p}.properties" for p in KAFKA_PRINCIPALS)]:
        assert path.stat().st_mode & 0o777 == 0o600, path
    submitter = (home / "kafka-client.properties").read_text()
    for key in ("security.protocol=SASL_PLAINTEXT", "sasl.mechanism=SCRAM-SHA-512", "sasl.username=submitter",
                "sasl.password="):
        assert key in submitter
    passwords = json.loads((home / "kafka" / "credentials.json").read_text()).values()
    for log in (home / "logs").glob("*.log"):
        text = log.read_text(errors="replace")
        assert not any(p in text for p in passwords), f"a password is in {log}"


@pytest.mark.parametrize("topic", [t.name for t in topics.ALL])
def test_no_credentials_no_write_on_any_topic(broker: Settings, topic: str) -> None:
    value = marker()
    assert produce(broker, None, topic, value) is not None
    assert value not in read_all(broker, topic)


def test_a_wrong_password_is_refused(broker: Settings) -> None:
    value = marker()
    err = produce(broker, None, "jobs", value, **{"security.protocol": "SASL_PLAINTEXT",
                                                   "sasl.mechanism": "SCRAM-SHA-512",
                                                   "sasl.username": "submitter", "sasl.password": "not-it"})
    assert err is not None
    assert value not in read_all(broker, "jobs")


# (principal, topic): every write the ACLs must refuse, with another service's credentials
REFUSED = [("trainer", "jobs"), ("selector", "jobs"), ("scaler", "jobs"), ("trainer", "trials"),
           ("trainer", "job-events"), ("trainer", "models"), ("submitter", "results"), ("selector", "results"),
           ("scaler", "results"), ("submitter", "trials"), ("selector", "trials"), ("submitter", "models"),
           ("planner", "models"), ("scaler", "trials")]


@pytest.mark.parametrize(("principal", "topic"), REFUSED)
def test_a_principal_without_an_acl_cannot_write(broker: Settings, principal: str, topic: str) -> None:
    value = marker()
    err = produce(broker, principal, topic, value)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, err
    assert value not in read_all(broker, topic)


@pytest.mark.parametrize(("principal", "topic"), [("submitter", "jobs"), ("planner", "trials"),
                                                  ("trainer", "results"), ("selector", "models")])
def test_each_service_writes_what_it_must(broker: Settings, principal: str, topic: str) -> None:
    value = marker()
    assert produce(broker, principal, topic, value) is None
    assert value in read_all(broker, topic)


def test_a_forged_trial_result_from_a_non_trainer_never_reaches_results(broker: Settings) -> None:
    forged = ev.TrialCompleted(job_id="j-forged", trial_id="j-forged-00000", algorithm="ridge", params={},
                               metric="rmse", fold_scores=[0.0], cv_mean=0.0, cv_std=0.0, fit_seconds=0.1,
                               attempt=1, worker="trainer-1")
    for principal in ("submitter", "selector", "scaler"):
        assert produce(broker, principal, "results", forged.to_bytes()) is not None
    assert not any(b"j-forged" in m for m in read_all(broker, "results"))


def test_a_trainer_cannot_read_jobs(broker: Settings) -> None:
    consumer = Consumer(conf_of(broker, "trainer", **{"group.id": broker.consumer_group("trainers"),
                                                       "auto.offset.reset": "earliest"}))
    consumer.subscribe([f"{PREFIX}jobs"])
    errors = []
    for _ in range(10):
        msg = consumer.poll(1.0)
        err = msg.error() if msg is not None else None
        if err is not None:
            errors.append(err.code())
            break
    consumer.close()
    assert KafkaError.TOPIC_AUTHORIZATION_FAILED in errors, errors


def test_services_pick_their_own_principal_from_the_home(broker: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYGARDE_HOME", str(broker.home))
    monkeypatch.delenv("ZYGARDE_KAFKA_CLIENT_PROPERTIES", raising=False)
    assert kafka_client_conf("trainer")["sasl.username"] == "trainer"
    assert kafka_client_conf(None)["sasl.username"] == "submitter"  # the CLI, any other client
    job = ev.JobSubmitted(job_id=f"j-{uuid.uuid4().hex[:8]}", spec={"name": "x"}, submitted_via="kafka")
    submitter = EventProducer(broker.kafka_bootstrap, PREFIX, service="cli")
    submitter.publish(job)
    submitter.flush(20)
    trainer = EventProducer(broker.kafka_bootstrap, PREFIX, service="trainer",
                            extra={"message.timeout.ms": 8000})
    trainer.publish(ev.JobCancelRequested(job_id=job.job_id, reason="forged"))
    with pytest.raises(PublishError, match="(?i)authoriz"):
        trainer.flush(20)
    submitter.close()
    trainer.close()
    on_jobs = read_all(broker, "jobs")
    assert any(job.job_id.encode() in m and b"JobSubmitted" in m for m in on_jobs)
    assert not any(b"forged" in m for m in on_jobs)


def test_the_broker_refuses_plaintext_clients_on_its_client_port(broker: Settings) -> None:
    consumer = Consumer(conf_of(broker, None, **{"group.id": "plain"}))
    with pytest.raises(KafkaException):
        consumer.list_topics(timeout=5)
    consumer.close()


def test_every_acl_is_what_the_table_grants(broker: Settings, tmp_path: Path) -> None:
    from confluent_kafka.admin import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        AdminClient,
        ResourcePatternType,
        ResourceType,
    )

    admin = AdminClient(conf_of(broker, kafka_auth.ADMIN))
    anything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,  # type: ignore[arg-type]
                                AclOperation.ANY, AclPermissionType.ANY)
    found = admin.describe_acls(anything).result(20)
    writes = {(b.principal.removeprefix("User:"), b.name.removeprefix(PREFIX)) for b in found
              if b.operation == AclOperation.WRITE}
    assert {p for p, t in writes if t == "jobs"} == {"submitter", "planner"}
    assert {p for p, t in writes if t == "results"} == {"trainer", "planner"}
    assert {p for p, t in writes if t == "trials"} == {"planner"}
    reads = {(b.principal.removeprefix("User:"), b.name.removeprefix(PREFIX)) for b in found
             if b.operation == AclOperation.READ and b.restype == ResourceType.TOPIC}
    assert {p for p, t in reads if t == "results"} == {"planner", "selector"}
    assert {p for p, t in reads if t == "trials"} == {"trainer"}


def test_the_services_run_a_job_each_with_its_own_principal(broker: Settings, test_settings: Settings,
                                                             tmp_path: Path) -> None:
    """Planner, selector and two trainers as processes on the authenticated broker, each with only its
    principal's rights (their files in the services' home), run a job submitted over HTTP to the end."""
    from tests.e2e.conftest import Services, free_port
    from tests.e2e.test_job_flow import small_spec, wait_status
    from zygarde.bus import BusAdmin

    prefix = test_settings.topic_prefix
    as_admin = broker.model_copy(update={"topic_prefix": prefix})
    BusAdmin(broker.kafka_bootstrap, prefix, extra=kafka_auth.admin_conf(broker)).ensure_topics()
    kafka_auth.apply(as_admin)  # the principals' ACLs on this test's topics and groups
    settings = test_settings.model_copy(update={"kafka_bootstrap": broker.kafka_bootstrap,
                                                "home": tmp_path / "services-home",
                                                "planner_url": f"http://127.0.0.1:{free_port()}"})
    kafka_auth.write_client_files(settings, kafka_auth.credentials(broker))
    env = settings.child_env()
    env.pop("ZYGARDE_KAFKA_CLIENT_PROPERTIES", None)
    env.update(ZYGARDE_ADMIN_TOKEN="test-token", ZYGARDE_API_OPEN_READS="1", ZYGARDE_SELECTOR_METRICS_PORT="0",
               PYTHONUNBUFFERED="1")
    env.pop("ZYGARDE_TRAINER_METRICS_PORT", None)
    logs = tmp_path / "logs"
    logs.mkdir()
    svc = Services(settings, env, logs)
    try:
        for name in ("planner", "selector"):
            svc.start(name, name)
        svc.start_trainer("trainer-1")
        svc.start_trainer("trainer-2")
        svc.wait_healthy(timeout=180)  # four services importing on a busy 2-core machine
        job_id = httpx.post(f"{svc.url}/jobs", json=small_spec(), headers={"Authorization": "Bearer test-token"},
                            timeout=30).json()["job_id"]
        job = wait_status(svc, job_id, {"completed", "failed", "cancelled", "rejected"}, timeout=600)
        assert job["status"] == "completed" and job["trials"]["completed"] + job["trials"]["failed"] == 6, job
        board = httpx.get(f"{svc.url}/jobs/{job_id}/leaderboard", timeout=10).json()["items"]
        model = httpx.get(f"{svc.url}/jobs/{job_id}/model", timeout=10).json()
        assert len(board) == job["trials"]["completed"] > 0 and model["trial_id"] == board[0]["trial_id"]
        on_models = [ev.decode(m) for m in read_all(as_admin, "models")]
        assert [e.trial_id for e in on_models if isinstance(e, ev.ModelSelected) and e.job_id == job_id
                and e.final] == [model["trial_id"]]
        assert read_all(as_admin, "dlq") == [], "nothing dead-lettered"
        assert all(svc.alive().values()), svc.alive()
    finally:
        svc.stop_all()
    text = "\n".join(p.read_text(errors="replace") for p in logs.iterdir())
    assert "TOPIC_AUTHORIZATION_FAILED" not in text and "GROUP_AUTHORIZATION_FAILED" not in text


def test_the_scaler_reads_the_trainers_lag_and_nothing_else(broker: Settings) -> None:
    from zygarde.bus import BusAdmin

    creds = kafka_auth.credentials(broker)
    assert produce(broker, "planner", "trials", marker()) is None
    scaler = BusAdmin(broker.kafka_bootstrap, PREFIX, extra=kafka_auth.client_conf("scaler", creds["scaler"]))
    parts = scaler.lag(broker.consumer_group("trainers"), topics.TRIALS)
    assert parts and sum(p.lag for p in parts) >= 1
    value = marker()
    err = produce(broker, "scaler", "scaling", value)
    assert err is None and value in read_all(broker, "scaling")
