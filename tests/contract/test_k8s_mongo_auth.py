"""MongoDB's own auth in the kustomize base (deploy/k8s), parsed as YAML (no kustomize binary here): each
service's Deployment mounts only its own zygarde-mongo-<service> uri, the mongo StatefulSet only the passwords
and the init script, which is compose's file. Rendered and checked, not run against a MongoDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
K8S = ROOT / "deploy" / "k8s"
SERVICES = ("planner", "selector", "trainer", "scaler")


def workloads() -> dict[str, dict[str, Any]]:
    docs = [d for f in ("services.yaml", "infra.yaml", "topics-job.yaml")
            for d in yaml.safe_load_all((K8S / f).read_text()) if d]
    return {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")}


def mongo_refs(doc: dict[str, Any]) -> set[tuple[str, str]]:
    pod, out = doc["spec"]["template"]["spec"], set()
    for vol in pod.get("volumes", []):
        sources = [vol["secret"] | {"name": vol["secret"]["secretName"]}] if "secret" in vol else [
            s["secret"] for s in vol.get("projected", {}).get("sources", []) if "secret" in s]
        for src in sources:
            out |= {(src["name"], k) for k in ([i["key"] for i in src.get("items", [])] or ["*"])}
    for c in pod["containers"]:
        out |= {(e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
                for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
    return {r for r in out if r[0].startswith("zygarde-mongo-")}


def test_each_workload_reads_only_its_own_mongo_secret() -> None:
    seen = set()
    for name, doc in workloads().items():
        refs = mongo_refs(doc)
        if name == "mongo":
            assert refs == {(f"zygarde-mongo-{s}", "password") for s in ("root", *SERVICES)}
            container = doc["spec"]["template"]["spec"]["containers"][0]
            env = {e["name"]: e["value"] for e in container["env"]}
            assert env["MONGO_INITDB_ROOT_PASSWORD_FILE"] == "/run/secrets/mongo-root-password"
            assert {"name": "mongo-init", "mountPath": "/docker-entrypoint-initdb.d", "readOnly": True} in \
                container["volumeMounts"]
        elif name.removeprefix("zygarde-") in SERVICES:
            service = name.removeprefix("zygarde-")
            assert refs == {(f"zygarde-mongo-{service}", "uri")}, name
            container = doc["spec"]["template"]["spec"]["containers"][0]
            mount = next(m for m in container["volumeMounts"] if m["name"] == "mongo-uri")
            assert mount["readOnly"] is True
            assert {"name": "ZYGARDE_MONGO_URI_FILE", "value": f"{mount['mountPath']}/uri"} in container["env"]
            seen.add(service)
        else:
            assert refs == set(), name
    assert seen == set(SERVICES)


def test_the_init_script_is_compose_s() -> None:
    configmap = yaml.safe_load((K8S / "mongo-init.yaml").read_text())
    assert configmap["metadata"]["name"] == "zygarde-mongo-init"
    assert configmap["data"]["users.js"] == (ROOT / "deploy" / "compose" / "mongo-init" / "users.js").read_text()
    assert "mongo-init.yaml" in yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
