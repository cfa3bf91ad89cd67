"""Kafka authentication in the Helm chart (``kafka.sasl``, on by default), rendered offline as in
``test_helm.py``: one Secret per principal, and each workload reaches only the Secrets it must."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.test_helm import WORKLOADS, pod_of, render, schema_errors

SERVICES = ("planner", "selector", "trainer", "scaler")
PRINCIPALS = ("admin", *SERVICES, "submitter")


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return render()


def kafka_secret_refs(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """(Secret, key) of every zygarde-kafka-* Secret a workload's pod reads: volumes (secret, projected;
    "*" when every key is mounted) and environment (valueFrom, envFrom)."""
    pod, out = pod_of(doc), set()
    for vol in pod.get("volumes", []):
        sources = [vol["secret"] | {"name": vol["secret"]["secretName"]}] if "secret" in vol else [
            s["secret"] for s in vol.get("projected", {}).get("sources", []) if "secret" in s]
        for src in sources:
            keys = [i["key"] for i in src.get("items", [])] or ["*"]
            out |= {(src["name"], k) for k in keys}
    for c in pod.get("initContainers", []) + pod["containers"]:
        for env in c.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                out.add((ref["name"], ref["key"]))
        out |= {(e["secretRef"]["name"], "*") for e in c.get("envFrom", []) if "secretRef" in e}
    return {(name, key) for name, key in out if name.startswith("zygarde-kafka-")}


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
    assert kafka_secret_refs(broker) == {("zygarde-kafka-admin", "password")}
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
    assert kafka_secret_refs(workload(base, "kafka")) == {("zygarde-kafka-admin", "password")}
    assert kafka_secret_refs(workload(base, "zygarde-topics")) == {("zygarde-kafka-admin", "client.properties"), *(
        (f"zygarde-kafka-{p}", "password") for p in (*SERVICES, "submitter"))}
