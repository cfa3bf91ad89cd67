"""A Kafka broker of the caller's own (a test's, a benchmark's), and a MongoDB-wire store beside it if
wanted: started by the same code as ``zygarde up`` in a home of its own on spare ports (never the shared
stack's 9092 or 27017), stopped when the block ends."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from zygarde.localstack import process, stack
from zygarde.settings import Settings


def free_port_pair() -> int:
    """A free port whose next port is free too (a local Kafka's controller listens on port + 1)."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free neighbouring ports on 127.0.0.1")


@contextmanager
def _running(settings: Settings, component: str) -> Iterator[Settings]:
    comp = stack.infra(settings, [component])[0]
    try:
        stack.up(settings, [component])
        yield settings
    finally:
        process.stop(comp.files, comp.marker)


def private_broker(home: Path, topic_prefix: str, *, sasl: bool, tls: bool = False) -> AbstractContextManager[Settings]:
    """A broker in ``home`` with the topics of ``topic_prefix``: PLAINTEXT, or with ``sasl`` SCRAM-SHA-512 and
    the ACLs of every service principal (their client files in ``home``, as ``up`` writes them), with ``tls``
    on SASL_SSL. Yields its settings; the broker is stopped on the way out, whatever happened inside."""
    return _running(Settings(home=home, kafka_bootstrap=f"127.0.0.1:{free_port_pair()}", topic_prefix=topic_prefix,
                             kafka_sasl=sasl, kafka_tls=tls), "kafka")


def private_store(home: Path) -> AbstractContextManager[Settings]:
    """A MongoDB-wire server (FerretDB/SQLite) with its data in ``home``; its settings' ``mongo_uri`` names it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return _running(Settings(home=home, mongo_uri=f"mongodb://127.0.0.1:{port}/zygarde"), "mongo")
