"""Session fixtures: a real Kafka broker and a real MongoDB-wire server, never mocks.

Order of preference for each: the address in ``ZYGARDE_KAFKA_BOOTSTRAP`` / ``ZYGARDE_MONGO_URI``
(or the contract's default) when it answers; else the local stack started through the same code as
``zygarde up``. When nothing can be started, the run fails with the reason: an integration test is
never silently skipped. (There is no container fallback: see "Tests" in the README.)
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from zygarde.settings import Settings

# the probe algorithms (noop, burn) measure the platform and are out of the production catalogue:
# the tests turn them on, for this process (before the catalogue is imported) and every service it starts
os.environ["ZYGARDE_PROBE_ALGORITHMS"] = "1"
# one artifact key for the test process and every service it starts (each has a home of its own), so
# what a test's selector signed, the test and that test's planner can load
os.environ.setdefault("ZYGARDE_ARTIFACT_KEY", "artifact-key-of-the-test-session")


class _Stack:
    """What the session uses, and what it must stop at the end (only what it started)."""

    def __init__(self) -> None:
        self.base = Settings()
        self.started_local: list[str] = []
        self.kafka: str | None = None
        self.mongo: str | None = None

    def _local(self, name: str) -> None:
        from zygarde.errors import StackError
        from zygarde.localstack import stack

        try:
            for status in stack.up(self.base, [name]):
                if status.action == "started":
                    self.started_local.append(name)
        except StackError as exc:
            pytest.fail(f"cannot start {name} for the tests: {exc}", pytrace=False)

    def kafka_bootstrap(self) -> str:
        if self.kafka:
            return self.kafka
        from zygarde.localstack.components import KafkaComponent

        if KafkaComponent(self.base).ready():
            self.kafka = self.base.kafka_bootstrap
        else:
            self._local("kafka")
            self.kafka = self.base.kafka_bootstrap
        return self.kafka

    def mongo_uri(self) -> str:
        if self.mongo:
            return self.mongo
        from zygarde.localstack.components import MongoComponent

        if MongoComponent(self.base).ready():
            self.mongo = self.base.mongo_uri
        else:
            self._local("mongo")
            self.mongo = self.base.mongo_uri
        return self.mongo

    def close(self) -> None:
        from zygarde.localstack import components, process

        if os.environ.get("ZYGARDE_TEST_KEEP_STACK") != "1":
            for name in reversed(self.started_local):
                comp = components.INFRA[name](self.base)
                process.stop(comp.files, comp.marker)


@pytest.fixture(scope="session")
def _stack() -> Iterator[_Stack]:
    stack = _Stack()
    yield stack
    stack.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(_stack: _Stack) -> str:
    """Bootstrap servers of a real broker."""
    return _stack.kafka_bootstrap()


@pytest.fixture(scope="session")
def mongo_uri(_stack: _Stack) -> str:
    """URI of a real MongoDB-wire server (database part is per test, see ``mongo_db``)."""
    return _stack.mongo_uri()


@pytest.fixture
def topic_prefix() -> str:
    """A fresh topic prefix per test: topics and consumer groups never leak between tests."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def mongo_db_name() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def test_settings(_stack: _Stack, kafka_bootstrap: str, mongo_uri: str, topic_prefix: str, mongo_db_name: str,
                  tmp_path: Path) -> Settings:
    """Settings pointing at the real stack with this test's own prefix, database and home. On an
    authenticating broker the prefix's topics and ACLs are made as the admin, and each principal's client
    files written into the test's home, so the services a test starts connect each as itself."""
    from urllib.parse import urlsplit, urlunsplit

    from zygarde.localstack import kafka_auth

    uri = urlunsplit(urlsplit(mongo_uri)._replace(path=f"/{mongo_db_name}"))
    home = tmp_path / "home"
    kafka_auth.open_prefix(_stack.base.model_copy(update={"kafka_bootstrap": kafka_bootstrap}), topic_prefix, home)
    return Settings(kafka_bootstrap=kafka_bootstrap, mongo_uri=uri, topic_prefix=topic_prefix,
                    home=home, admin_token="test-token",  # type: ignore[arg-type]
                    data_roots=str(tmp_path / "data"))


@pytest.fixture(scope="session")
def bus_auditor(_stack: _Stack, kafka_bootstrap: str) -> dict[str, str]:
    """Client settings of a reader that checks what is on any topic: the admin's (from the stack's home)
    when the broker authenticates, else none."""
    from zygarde.localstack import kafka_auth

    return kafka_auth.admin_or_nothing(_stack.base)
