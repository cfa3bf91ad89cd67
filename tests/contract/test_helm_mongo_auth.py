"""MongoDB's own auth in the Helm chart (``mongo.auth``, on by default), rendered offline as in ``test_helm.py``:
one Secret per service that uses the store, each mounted only into its own service's pods; the mongo pod holds
the root user and the passwords (never a uri) and runs the same init script as compose. Rendered and checked,
not run: no MongoDB image can be had on the machine the tests run on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.contract.test_helm import WORKLOADS, pod_of, render, schema_errors, secret_refs

ROOT = Path(__file__).parents[2]
SERVICES = ("planner", "selector", "trainer", "scaler")


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return render()


def mongo_secret_refs(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return secret_refs(doc, "zygarde-mongo-")


def test_one_secret_per_service_with_its_own_user(docs: list[dict[str, Any]]) -> None:
    secrets = {d["metadata"]["name"]: d["stringData"] for d in docs if d["kind"] == "Secret"}
    names = {n for n in secrets if n.startswith("zygarde-mongo-")}
    assert names == {f"zygarde-mongo-{s}" for s in ("root", *SERVICES)}
    passwords = {secrets[n]["password"] for n in names}
    assert len(passwords) == len(names) and all(len(p) >= 32 for p in passwords)
    for s in SERVICES:
        data = secrets[f"zygarde-mongo-{s}"]
        assert data["uri"] == (f"mongodb://zygarde-{s}:{data['password']}@mongo.zygarde.svc:27017/zygarde"
                               "?authSource=zygarde")


def test_each_workload_reads_only_its_own_mongo_secret(docs: list[dict[str, Any]]) -> None:
    seen = set()
    for doc in docs:
        if doc["kind"] not in WORKLOADS:
            continue
        name, refs = doc["metadata"]["name"], mongo_secret_refs(doc)
        assert schema_errors(doc) == [], name
        if name == "mongo":
            assert refs == {(f"zygarde-mongo-{s}", "password") for s in ("root", *SERVICES)}
            env = {e["name"]: e.get("value") for e in pod_of(doc)["containers"][0]["env"]}
            assert env["MONGO_INITDB_ROOT_PASSWORD_FILE"] == "/run/secrets/mongo-root-password"
        elif name.removeprefix("zygarde-") in SERVICES:
            service = name.removeprefix("zygarde-")
            assert refs == {(f"zygarde-mongo-{service}", "uri")}, name
            container = pod_of(doc)["containers"][0]
            mount = next(m for m in container["volumeMounts"] if m["name"] == "mongo-uri")
            assert mount["readOnly"] is True
            env = {e["name"]: e.get("value") for e in container["env"]}
            assert env["ZYGARDE_MONGO_URI_FILE"] == f"{mount['mountPath']}/uri"
            seen.add(service)
        else:
            assert refs == set(), name
    assert seen == set(SERVICES)


def test_the_init_script_is_compose_s(docs: list[dict[str, Any]]) -> None:
    init = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "zygarde-mongo-init")
    compose_script = (ROOT / "deploy" / "compose" / "mongo-init" / "users.js").read_text()
    assert init["data"]["users.js"].strip() == compose_script.strip()
    mongo = next(d for d in docs if d["kind"] in WORKLOADS and d["metadata"]["name"] == "mongo")
    assert {"configMap": {"name": "zygarde-mongo-init"}, "name": "mongo-init"} in pod_of(mongo)["volumes"]


def test_auth_off_renders_no_mongo_secret() -> None:
    docs = render("mongo.auth=false")
    assert not [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"].startswith("zygarde-mongo-")]
    assert not any(mongo_secret_refs(d) for d in docs if d["kind"] in WORKLOADS)
