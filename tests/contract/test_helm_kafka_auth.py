"""Kafka authentication in the Helm chart (``kafka.sasl``, on by default), rendered offline as in
``test_helm.py``: one Secret per principal, and each workload reaches only the Secrets it must."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.contract.test_helm import WORKLOADS, pod_of, render, schema_errors, secret_refs

SERVICES = ("planner", "selector", "trainer", "scaler")
PRINCIPALS = ("admin", *SERVICES, "submitter")


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return render()


def kafka_secret_refs(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return secret_refs(doc, "zygarde-kafka-")


def workload(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] in WORKLOADS and d["metadata"]["name"] == name)


def env_of(doc: dict[str, Any], container: int = 0) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in pod_of(doc)["containers"][container].get("env", [])}


def test_one_secret_per_principal_with_its_own_client_settings(docs: list[dict[str, Any]]) -> None:
    secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
    assert {n for n in secrets if n.startswith("zygarde-kafka-")} == {f"zygarde-kafka-{p}" for p in PRINCIPALS}
    passwords = set()
    for p in PRINCIPALS:
        data = secrets[f"zygarde-kafka-{p}"]["stringData"]
        props = dict(line.split("=", 1) for line in data["client.properties"].splitlines() if line)
        assert props["sasl.username"] == data["username"] == p
        assert props["sasl.password"] == data["password"] and len(data["password"]) >= 32
        assert props["security.protocol"] == "SASL_PLAINTEXT"
        assert props["sasl.mechanism"] == ("PLAIN" if p == "admin" else "SCRAM-SHA-512")
        passwords.add(data["password"])
    assert len(passwords) == len(PRINCIPALS)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reads_only_its_own_secret(docs: list[dict[str, Any]], service: str) -> None:
    deployment = workload(docs, f"zygarde-{service}")
    assert kafka_secret_refs(deployment) == {(f"zygarde-kafka-{service}", "client.properties")}
    mount = next(m for m in pod_of(deployment)["containers"][0]["volumeMounts"] if m["name"] == "kafka-client")
    assert mount["readOnly"] is True
    assert env_of(deployment)["ZYGARDE_KAFKA_CLIENT_PROPERTIES"] == f"{mount['mountPath']}/client.properties"


def test_the_broker_holds_the_admin_and_the_topics_job_the_passwords_it_registers(docs: list[dict[str, Any]]) -> None:
    broker = workload(docs, "kafka")
    assert kafka_secret_refs(broker) == {("zygarde-kafka-admin", "jaas.conf")}
    env = env_of(broker)
    assert env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] == "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false" and env["KAFKA_SUPER_USERS"] == "User:admin"
    job = workload(docs, "zygarde-topics")
    assert kafka_secret_refs(job) == {("zygarde-kafka-admin", "client.properties"), *(
        (f"zygarde-kafka-{p}", "password") for p in (*SERVICES, "submitter"))}
    assert pod_of(job)["initContainers"][0]["args"][0] == "kafka-principals"


def test_keda_reads_the_lag_as_the_scaler() -> None:
    keda = render("scaler.backend=keda")
    auth = next(d for d in keda if d["kind"] == "TriggerAuthentication")
    assert schema_errors(auth) == []
    assert {r["name"] for r in auth["spec"]["secretTargetRef"]} == {"zygarde-kafka-scaler"}
    trigger = next(d for d in keda if d["kind"] == "ScaledObject")["spec"]["triggers"][0]
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert trigger["metadata"]["sasl"] == "scram_sha512"


def test_sasl_off_renders_plaintext_and_no_kafka_secret() -> None:
    plain = render("kafka.sasl=false")
    assert not [d for d in plain if d["kind"] == "Secret" and d["metadata"]["name"].startswith("zygarde-kafka-")]
    assert all(kafka_secret_refs(d) == set() for d in plain if d["kind"] in WORKLOADS)
    assert env_of(workload(plain, "zygarde-planner"))["ZYGARDE_KAFKA_SASL"] == "0"
    assert "SASL" not in env_of(workload(plain, "kafka"))["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]


def test_the_kustomize_base_mounts_each_service_only_its_own_secret() -> None:
    from tests.contract.test_helm import kustomize_docs

    base = kustomize_docs()
    for service in SERVICES:
        deployment = workload(base, f"zygarde-{service}")
        assert kafka_secret_refs(deployment) == {(f"zygarde-kafka-{service}", "client.properties")}, service
        assert env_of(deployment)["ZYGARDE_KAFKA_CLIENT_PROPERTIES"] == "/etc/zygarde/kafka/client.properties"
    assert kafka_secret_refs(workload(base, "kafka")) == {("zygarde-kafka-admin", "jaas.conf")}
    assert kafka_secret_refs(workload(base, "zygarde-topics")) == {("zygarde-kafka-admin", "client.properties"), *(
        (f"zygarde-kafka-{p}", "password") for p in (*SERVICES, "submitter"))}


def broker_jaas(broker: dict[str, Any], secrets: dict[str, dict[str, str]]) -> str:
    """The JAAS file the broker's JVM reads: KAFKA_OPTS' login config, followed through the container's
    mounts to the Secret key behind it (``secrets``: name -> key -> content)."""
    opts = env_of(broker)["KAFKA_OPTS"]
    path = Path(re.search(r"-Djava\.security\.auth\.login\.config=(\S+)", opts)[1])  # type: ignore[index]
    pod = pod_of(broker)
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if path.parent == Path(m["mountPath"]))
    assert mount.get("readOnly") is True
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])["secret"]
    key = next(i["key"] for i in volume["items"] if i["path"] == path.name)
    return secrets[volume["secretName"]][key]


def assert_scram_logins_are_taken(broker: dict[str, Any], jaas: str) -> None:
    """The client listener offers SCRAM-SHA-512, and the section the broker reads for it (no per-listener
    override of the mechanism) holds a ScramLoginModule: without one the broker drops every SCRAM login."""
    env = env_of(broker)
    assert "SCRAM-SHA-512" in env["KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS"].split(",")
    assert not [n for n in env if n.startswith("KAFKA_LISTENER_NAME_CLIENT_") and n.endswith("_SASL_JAAS_CONFIG")]
    sections: dict[str, str] = dict(re.findall(r"([\w.]+)\s*\{(.*?)\};", jaas, re.S))
    section = sections.get("client.KafkaServer", sections.get("KafkaServer", ""))
    assert re.search(r"org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule\s+required", section), jaas
    assert re.search(r"PlainLoginModule\s+required\s+username=\"admin\"", section), "the admin and controller"


def test_the_broker_takes_scram_logins_on_the_client_listener(docs: list[dict[str, Any]]) -> None:
    secrets = {d["metadata"]["name"]: d["stringData"] for d in docs if d["kind"] == "Secret"}
    jaas = broker_jaas(workload(docs, "kafka"), secrets)
    assert_scram_logins_are_taken(workload(docs, "kafka"), jaas)
    password = secrets["zygarde-kafka-admin"]["password"]
    assert f'password="{password}" user_admin="{password}"' in jaas


def test_the_kustomize_broker_takes_scram_logins_from_the_example_secrets() -> None:
    """The base's broker, with the admin Secret made by secret.example.yaml's loop (run here, kubectl
    recorded instead of called)."""
    from tests.contract.test_helm import K8S, kustomize_docs

    lines = (K8S / "secret.example.yaml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#   for p in "))
    end = next(i for i in range(start, len(lines)) if lines[i].strip() == "#   done")
    loop = "\n".join(line[len("#   "):] for line in lines[start:end + 1])
    record = 'kubectl() { shift 5; printf "%s\\0" "SECRET=$1"; shift; printf "%s\\0" "$@"; }\n'
    out = subprocess.run(["bash", "-c", record + loop], capture_output=True, text=True, timeout=60, check=True)
    secrets: dict[str, dict[str, str]] = {}
    for arg in out.stdout.split("\0")[:-1]:
        if arg.startswith("SECRET="):
            current = secrets.setdefault(arg[len("SECRET="):], {})
        else:
            key, value = arg[len("--from-literal="):].split("=", 1)
            current[key] = value
    broker = workload(kustomize_docs(), "kafka")
    jaas = broker_jaas(broker, secrets)
    assert_scram_logins_are_taken(broker, jaas)
    password = secrets["zygarde-kafka-admin"]["password"]
    assert f'password="{password}" user_admin="{password}"' in jaas
