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
    operation: str  # READ, WRITE, DESCRIBE
    resource: str  # "topic" or "group"
    name: str  # a logical topic name, or a consumer-group role


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


def client_conf(principal: str, password: str) -> dict[str, str]:
    return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": MECHANISM, "sasl.username": principal,
            "sasl.password": password}


def _properties(conf: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in conf.items())


def write_client_files(settings: Settings, creds: dict[str, str]) -> None:
    for principal in (ADMIN, *KAFKA_PRINCIPALS):
        _private_write(settings.home / "kafka" / f"{principal}.properties",
                       _properties(client_conf(principal, creds[principal])))
    _private_write(settings.home / "kafka-client.properties",
                   "# the submitter principal: may write the jobs topic (zygarde up wrote this file)\n"
                   + _properties(client_conf("submitter", creds["submitter"])))


def admin_conf(settings: Settings) -> dict[str, str]:
    return client_conf(ADMIN, credentials(settings)[ADMIN])


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
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        ResourcePatternType,
        ResourceType,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialAlteration,
        UserScramCredentialUpsertion,
    )

    creds = credentials(settings)
    write_client_files(settings, creds)
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap, **admin_conf(settings)})
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(p, info, creds[p].encode()) for p in KAFKA_PRINCIPALS]
    for fut in admin.alter_user_scram_credentials(upserts, request_timeout=timeout).values():
        fut.result(timeout)
    bindings = []
    for g in grants():
        if g.resource == "topic":
            kind, name = ResourceType.TOPIC, f"{settings.topic_prefix}{g.name}"
        else:
            kind, name = ResourceType.GROUP, settings.consumer_group(g.name)
        bindings.append(AclBinding(kind, name, ResourcePatternType.LITERAL, f"User:{g.principal}", "*",
                                   getattr(AclOperation, g.operation), AclPermissionType.ALLOW))
    for fut in admin.create_acls(bindings, request_timeout=timeout).values():
        fut.result(timeout)


def describe(conf: dict[str, Any]) -> str:
    """A client configuration for a log line: the principal, never the password."""
    return f"{conf.get('security.protocol', 'PLAINTEXT')} as {conf.get('sasl.username', 'nobody')}"
