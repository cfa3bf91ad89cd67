"""The local broker with authentication and authorization (``ZYGARDE_KAFKA_SASL``): SASL/SCRAM-SHA-512
on the client listener, SASL/PLAIN between the broker and its KRaft controller on a listener of its own,
one principal per service and ACLs that give each only what it does.

Credentials are generated at ``up`` into ``$ZYGARDE_HOME/kafka/credentials.json`` (mode 600) and
written as librdkafka settings for each principal, ``$ZYGARDE_HOME/kafka/<principal>.properties``, and
for the submitter ``$ZYGARDE_HOME/kafka-client.properties`` (the CLI's; both mode 600). Passwords are
never logged; the broker's own properties file holds its two (mode 600).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zygarde import topics
from zygarde.settings import KAFKA_PRINCIPALS, Settings

ADMIN, CONTROLLER = "admin", "controller"
MECHANISM = "SCRAM-SHA-512"
SCRAM_ITERATIONS = 8192


@dataclass(frozen=True)
class Grant:
    """``principal`` may do ``operation`` on the topic (or group) of that logical name."""

    principal: str
    operation: str  # READ, WRITE, DESCRIBE, CREATE
    # "topic": the prefix + a logical name; "group": a consumer-group role; "topics-under": every topic whose
    # name starts with the prefix + name; "app-group": the group named the prefix + name (faust's app id)
    resource: str
    name: str


def grants() -> list[Grant]:
    """Least privilege, per service (docs/security.md):
    the planner reads ``jobs`` and ``results``, writes ``trials``, ``job-events``, ``dlq``, ``jobs`` (its
    HTTP door, behind the admin token) and ``results`` (a lost trial's ``TrialFailed``); trainers read
    ``trials`` and write ``results`` and ``dlq``; the selector reads ``results`` and ``job-events`` and
    writes ``models``, ``job-events`` and ``dlq``; the scaler reads the trainers' lag and writes
    ``scaling``; the submitter writes ``jobs``. Every principal may see the topics' metadata."""
    out = [Grant(p, "DESCRIBE", "topic", t.name) for p in KAFKA_PRINCIPALS for t in topics.ALL]
    rights = {
        "planner": ({"jobs", "results"}, {"trials", "job-events", "dlq", "jobs", "results"}, ["planner"]),
        "trainer": ({"trials"}, {"results", "dlq"}, ["trainers"]),
        "selector": ({"results", "job-events"}, {"models", "job-events", "dlq"}, ["selector"]),
        "scaler": (set(), {"scaling"}, []),
        "submitter": (set(), {"jobs"}, []),
    }
    for principal, (reads, writes, groups) in rights.items():
        out += [Grant(principal, "READ", "topic", name) for name in sorted(reads)]
        out += [Grant(principal, "WRITE", "topic", name) for name in sorted(writes)]
        out += [Grant(principal, "READ", "group", role) for role in groups]
    out.append(Grant("scaler", "DESCRIBE", "group", "trainers"))  # the trainers' committed offsets
    # the faust selector (ZYGARDE_SELECTOR_ENGINE=faust): its group is its app id, and it creates, writes
    # and reads its own changelog and assignor topics, all named after the app id
    out += [Grant("selector", op, "topics-under", "selector-") for op in ("CREATE", "DESCRIBE", "READ", "WRITE")]
    out.append(Grant("selector", "READ", "app-group", "selector"))
    return out


def _private_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    tmp.replace(path)


def credentials(settings: Settings) -> dict[str, str]:
    """Every principal's password, generated once per ``$ZYGARDE_HOME``."""
    path = settings.home / "kafka" / "credentials.json"
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted = (ADMIN, CONTROLLER, *KAFKA_PRINCIPALS)
    if any(p not in known for p in wanted):
        known = {p: known.get(p) or secrets.token_urlsafe(24) for p in wanted}
        _private_write(path, json.dumps(known))
    return known


def client_conf(principal: str, password: str, ca: Path | None = None) -> dict[str, str]:
    """librdkafka settings of ``principal``; with ``ca`` (TLS on the client listener) the CA it trusts."""
    conf = {"security.protocol": "SASL_SSL" if ca else "SASL_PLAINTEXT", "sasl.mechanism": MECHANISM,
            "sasl.username": principal, "sasl.password": password}
    if ca is not None:
        conf["ssl.ca.location"] = str(ca)
    return conf


def broker_ca(stack: Settings) -> Path | None:
    """The CA of the stack's broker when its client listener speaks TLS, else None."""
    from zygarde.localstack import kafka_tls

    return kafka_tls.ca_path(stack) if stack.kafka_tls else None


def _properties(conf: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in conf.items())


def write_client_files(settings: Settings, creds: dict[str, str], ca: Path | None = None) -> None:
    """Each principal's client file in ``settings.home``; ``ca``: the broker's CA (TLS), default that of
    ``settings``' own broker."""
    ca = ca or broker_ca(settings)
    for principal in (ADMIN, *KAFKA_PRINCIPALS):
        _private_write(settings.home / "kafka" / f"{principal}.properties",
                       _properties(client_conf(principal, creds[principal], ca)))
    _private_write(settings.home / "kafka-client.properties",
                   "# the submitter principal: may write the jobs topic (zygarde up wrote this file)\n"
                   + _properties(client_conf("submitter", creds["submitter"], ca)))


def remove_client_files(settings: Settings) -> None:
    """The client files of an earlier authenticating start (the credentials themselves are kept)."""
    for path in [settings.home / "kafka-client.properties",
                 *(settings.home / "kafka" / f"{p}.properties" for p in (ADMIN, *KAFKA_PRINCIPALS))]:
        path.unlink(missing_ok=True)


def admin_conf(settings: Settings) -> dict[str, str]:
    return client_conf(ADMIN, credentials(settings)[ADMIN], broker_ca(settings))


def server_properties(creds: dict[str, str]) -> str:
    """What the broker's configuration adds when it authenticates (appended to the PLAINTEXT template's
    settings, which it overrides: later keys win in a properties file)."""
    plain = (f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{CONTROLLER}" '
             f'password="{creds[CONTROLLER]}" user_{CONTROLLER}="{creds[CONTROLLER]}";')
    scram = (f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN}" '
             f'password="{creds[ADMIN]}";')
    return "\n".join([
        "# authentication and authorization (ZYGARDE_KAFKA_SASL)",
        "listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        "inter.broker.listener.name=CLIENT",
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        "sasl.mechanism.controller.protocol=PLAIN",
        f"listener.name.client.sasl.enabled.mechanisms={MECHANISM}",
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        f"listener.name.controller.plain.sasl.jaas.config={plain}",
        f"listener.name.client.{MECHANISM.lower()}.sasl.jaas.config={scram}",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        f"super.users=User:{ADMIN};User:{CONTROLLER}",
        "allow.everyone.if.no.acl.found=false",
        "",
    ])


def format_args(creds: dict[str, str]) -> list[str]:
    """StorageTool arguments that create the admin's SCRAM credential with the cluster's metadata."""
    return ["--add-scram", f"{MECHANISM}=[name={ADMIN},password={creds[ADMIN]}]"]


def apply(settings: Settings, timeout: float = 30.0) -> None:
    """As the admin: every service principal's SCRAM credential and its ACLs (both idempotent)."""
    creds = credentials(settings)
    write_client_files(settings, creds)
    grant_principals(settings, admin_conf(settings), creds, timeout)


def grant_principals(settings: Settings, admin: dict[str, str], creds: dict[str, str], timeout: float = 30.0) -> None:
    """With the admin's client settings ``admin``: each service principal's SCRAM credential (its password in
    ``creds``) and the ACLs of ``grants()`` on ``settings.topic_prefix`` (``zygarde up``; in Kubernetes the
    topics Job, ``zygarde kafka-principals``)."""
    from confluent_kafka.admin import (
        AdminClient,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialAlteration,
        UserScramCredentialUpsertion,
    )

    client = AdminClient({"bootstrap.servers": settings.kafka_bootstrap, **admin})
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(p, info, creds[p].encode()) for p in KAFKA_PRINCIPALS]
    for fut in client.alter_user_scram_credentials(upserts, request_timeout=timeout).values():
        fut.result(timeout)
    _grant(client, settings, timeout)


def _grant(admin: Any, settings: Settings, timeout: float) -> None:
    """The ACLs of ``grants()`` on the topics and groups of ``settings.topic_prefix``."""
    from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType

    bindings = []
    for g in grants():
        pattern = ResourcePatternType.PREFIXED if g.resource == "topics-under" else ResourcePatternType.LITERAL
        if g.resource == "group":
            kind, name = ResourceType.GROUP, settings.consumer_group(g.name)
        else:
            kind = ResourceType.GROUP if g.resource == "app-group" else ResourceType.TOPIC
            name = f"{settings.topic_prefix}{g.name}"
        bindings.append(AclBinding(kind, name, pattern, f"User:{g.principal}", "*",
                                   getattr(AclOperation, g.operation), AclPermissionType.ALLOW))
    for fut in admin.create_acls(bindings, request_timeout=timeout).values():
        fut.result(timeout)


def open_prefix(stack: Settings, prefix: str, home: Path | None = None, timeout: float = 30.0) -> None:
    """A topic prefix of its own (a test's, a benchmark's) on the stack's broker. When it authenticates:
    as the admin, the prefix's topics and every principal's ACLs on them, since no service principal may
    create a topic or reach another prefix's; with ``home``, each principal's client files there too, so
    services started with that home connect as themselves. On a PLAINTEXT broker: the topics only."""
    from confluent_kafka.admin import AdminClient

    from zygarde.bus import BusAdmin

    conf = admin_or_nothing(stack)
    BusAdmin(stack.kafka_bootstrap, prefix, security=conf).ensure_topics(topics.ALL, timeout)
    if not stack.kafka_sasl:
        return
    own = stack.model_copy(update={"topic_prefix": prefix})
    _grant(AdminClient({"bootstrap.servers": stack.kafka_bootstrap, **conf}), own, timeout)
    creds = credentials(stack)
    if home is not None:
        write_client_files(own.model_copy(update={"home": home}), creds, broker_ca(stack))
    # the broker applies new topics and ACLs a moment after it acknowledged them: wait until the least
    # privileged principal sees every topic, or a service's first look would find some missing
    seer = AdminClient({"bootstrap.servers": stack.kafka_bootstrap,
                        **client_conf("submitter", creds["submitter"], broker_ca(stack))})
    wanted = {t.physical(prefix) for t in topics.ALL}
    deadline = time.monotonic() + timeout
    while not wanted <= set(seer.list_topics(timeout=timeout).topics):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the topics of {prefix} not visible to the services within {timeout}s")
        time.sleep(0.1)


def close_prefix(stack: Settings, prefix: str, timeout: float = 30.0) -> None:
    """Delete the prefix's topics, as the admin when the broker authenticates (benchmark clean-up)."""
    from zygarde.bus import BusAdmin

    BusAdmin(stack.kafka_bootstrap, prefix, security=admin_or_nothing(stack)).delete_prefix(timeout)


def admin_or_nothing(stack: Settings) -> dict[str, str]:
    """The admin's client settings when the stack's broker authenticates, else none (PLAINTEXT): for
    readers that audit every topic, as tests and benchmarks do."""
    return admin_conf(stack) if stack.kafka_sasl else {}


def describe(conf: dict[str, Any]) -> str:
    """A client configuration for a log line: the principal, never the password."""
    return f"{conf.get('security.protocol', 'PLAINTEXT')} as {conf.get('sasl.username', 'nobody')}"
