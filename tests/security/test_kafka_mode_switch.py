"""A stack that ran PLAINTEXT (an older version, or ``ZYGARDE_KAFKA_SASL=0``) meets ``zygarde up`` with
authentication on, the default: on a broker of this module's own (its own home and ports), never the
shared stack's.

``up`` names the mismatch at once instead of waiting for a broker that will never answer it, and after a
``down`` it starts the broker authenticating: the PLAINTEXT storage (which has no admin credential, made
only at format time) is moved aside and formatted again."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AdminClient

from zygarde.errors import StackError
from zygarde.localstack import components, kafka_auth, process, stack
from zygarde.localstack.private_broker import free_port_pair
from zygarde.settings import Settings


def test_up_names_a_broker_in_the_other_mode_and_switches_it_after_a_down(tmp_path_factory: pytest.TempPathFactory,
                                                                           ) -> None:
    home = tmp_path_factory.mktemp("switch-home")
    plain = Settings(home=home, kafka_bootstrap=f"127.0.0.1:{free_port_pair()}", topic_prefix="sw.",
                     kafka_sasl=False)
    sasl = plain.model_copy(update={"kafka_sasl": True})
    comp = components.KafkaComponent(plain)
    try:
        stack.up(plain, ["kafka"])
        with pytest.raises(StackError, match="runs PLAINTEXT, but ZYGARDE_KAFKA_SASL is on") as mismatch:
            stack.up(sasl, ["kafka"])
        assert "zygarde down" in str(mismatch.value) and "ZYGARDE_KAFKA_SASL=0" in str(mismatch.value)

        assert process.stop(comp.files, comp.marker)
        assert [s.action for s in stack.up(sasl, ["kafka"])] == ["started"]
        assert (home / "kafka" / "data.plaintext" / "meta.properties").exists()
        as_admin = AdminClient({"bootstrap.servers": sasl.kafka_bootstrap, **kafka_auth.admin_conf(sasl)})
        assert "sw.jobs" in as_admin.list_topics(timeout=10).topics
        assert (home / "kafka-client.properties").stat().st_mode & 0o777 == 0o600

        with pytest.raises(StackError, match="runs SASL, but ZYGARDE_KAFKA_SASL is off"):
            stack.up(plain, ["kafka"])
    finally:
        process.stop(comp.files, comp.marker)
