"""TLS on the client listener (``ZYGARDE_KAFKA_TLS`` with ``ZYGARDE_KAFKA_SASL``): a broker of this module's
own (its own home and ports, never the shared stack's) started by the same code as ``zygarde up``.

Trials go from the planner's principal to a trainer's over SASL_SSL, each client with only the settings
its principal's file holds (the CA ``up`` generated among them); a client that does not speak TLS, even
with the right password, gets nothing from the broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, KafkaException

from zygarde import events as ev
from zygarde import topics
from zygarde.bus import EventConsumer, EventProducer, MessageMeta
from zygarde.errors import StackError
from zygarde.localstack import kafka_auth, kafka_tls, stack
from zygarde.localstack.private_broker import private_broker
from zygarde.settings import Settings, read_properties

PREFIX = "tls."


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with private_broker(tmp_path_factory.mktemp("tls-home"), PREFIX, sasl=True, tls=True) as settings:
        yield settings


def principal(settings: Settings, name: str) -> dict[str, str]:
    return read_properties(settings.home / "kafka" / f"{name}.properties")


def test_the_client_files_name_sasl_ssl_and_the_ca_up_generated(broker: Settings) -> None:
    submitter = read_properties(broker.home / "kafka-client.properties")
    assert submitter["security.protocol"] == "SASL_SSL" and submitter["sasl.username"] == "submitter"
    assert submitter["ssl.ca.location"] == str(kafka_tls.ca_path(broker))
    assert "BEGIN CERTIFICATE" in kafka_tls.ca_path(broker).read_text()
    assert kafka_tls.keystore_path(broker).stat().st_mode & 0o777 == 0o600
    assert (kafka_tls.tls_dir(broker) / "ca-key.pem").stat().st_mode & 0o777 == 0o600


def test_a_trial_goes_from_the_planner_to_a_trainer_over_tls(broker: Settings) -> None:
    trial = ev.TrialRequested(job_id="j-tls", trial_id=f"j-tls-{uuid.uuid4().hex[:6]}", index=0, algorithm="noop",
                              params={}, task="binary", seed=0, spec=ev.JobSpec.model_validate(
                                  {"dataset": {"uri": "builtin:breast_cancer", "target": "target"},
                                   "metric": "roc_auc"}))
    planner = EventProducer(broker.kafka_bootstrap, PREFIX, service="planner", extra=principal(broker, "planner"))
    planner.publish(trial)
    planner.flush(30)
    trainer_conf = principal(broker, "trainer")
    dlq = EventProducer(broker.kafka_bootstrap, PREFIX, service="trainer", extra=trainer_conf)
    trainer = EventConsumer(broker.kafka_bootstrap, PREFIX, broker.consumer_group("trainers"), [topics.TRIALS],
                            dlq=dlq, service="trainer", extra=trainer_conf)
    seen: list[str] = []

    def handle(event: ev.Event, meta: MessageMeta) -> None:
        seen.append(getattr(event, "trial_id", ""))
        trainer.stop()

    trainer.run(handle)
    dlq.close()
    planner.close()
    assert seen == [trial.trial_id]


@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "PLAINTEXT"])
def test_a_client_without_tls_gets_nothing(broker: Settings, protocol: str) -> None:
    conf = {k: v for k, v in principal(broker, "planner").items() if not k.startswith("ssl.")}
    if protocol == "PLAINTEXT":
        conf = {}
    consumer = Consumer({"bootstrap.servers": broker.kafka_bootstrap, "group.id": "no-tls",
                         **conf, "security.protocol": protocol})
    with pytest.raises(KafkaException):
        consumer.list_topics(timeout=5)
    consumer.close()


def test_the_admin_of_up_speaks_tls(broker: Settings) -> None:
    assert kafka_auth.admin_conf(broker)["security.protocol"] == "SASL_SSL"


def test_up_without_tls_names_the_tls_broker_instead_of_waiting(broker: Settings) -> None:
    with pytest.raises(StackError, match="runs SASL_SSL, but ZYGARDE_KAFKA_TLS is off"):
        stack.up(broker.model_copy(update={"kafka_tls": False}), ["kafka"])
