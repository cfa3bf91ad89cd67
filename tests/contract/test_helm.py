"""The Helm chart and the kustomize base, as a stock Kubernetes 1.31 cluster would take them.

No cluster runs here, so every rendered object is validated offline: core kinds against the
Kubernetes 1.31 JSON schemas that ``kubernetes-validate`` ships (strict: an unknown field fails),
the KEDA ScaledObject against KEDA's own CRD schema (tests/contract/schemas). On top: the rules a
stock cluster enforces that a schema cannot see (Pod Security "restricted", no ReadWriteMany claim
that default provisioners refuse, versioned images pulled only if not present, no ``replicas`` on
the Deployment a scaler owns, probes, NetworkPolicy, the admin token from a Secret).
``helm`` is built by ``make install`` (.cache/bin/helm, from its Go module).
"""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).parents[2]
CHART = ROOT / "deploy" / "helm" / "zygarde"
K8S = ROOT / "deploy" / "k8s"
HELM = ROOT / ".cache" / "bin" / "helm"
KEDA_CRD = Path(__file__).parent / "schemas" / "keda.sh_scaledobjects.yaml"
KUBE = "1.31.0"
WORKLOADS = ("Deployment", "StatefulSet", "Job")
# KEDA's TriggerAuthentication, the part the chart uses (secretTargetRef, as KEDA documents it; its CRD is
# not vendored here): every reference names a parameter, a Secret and a key, and nothing else.
TRIGGER_AUTHENTICATION: dict[str, Any] = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "spec": {"type": "object", "additionalProperties": False, "properties": {"secretTargetRef": {
            "type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["parameter", "name", "key"],
                "properties": {k: {"type": "string", "minLength": 1} for k in ("parameter", "name", "key")}}}}},
    },
}
# Pod Security "restricted" allows only these volume sources.
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    if not HELM.exists():
        pytest.fail(f"{HELM} is missing: run `make install` (it builds helm from its Go module)", pytrace=False)
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def render(*sets: str) -> list[dict[str, Any]]:
    args = ["template", "zygarde", str(CHART), "--namespace", "zygarde", "--kube-version", KUBE]
    for s in sets:
        args += ["--set", s]
    res = helm(*args)
    assert res.returncode == 0, res.stderr
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def keda_schema() -> dict[str, Any]:
    crd = next(d for d in yaml.safe_load_all(KEDA_CRD.read_text()) if d)
    return dict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def schema_errors(doc: dict[str, Any]) -> list[str]:
    """Why a Kubernetes 1.31 API server (or KEDA's CRD) would refuse ``doc``; empty when it takes it."""
    import kubernetes_validate

    if doc["kind"] == "ScaledObject":
        validator = jsonschema.Draft7Validator(keda_schema())
        return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    if doc["kind"] == "TriggerAuthentication":
        validator = jsonschema.Draft7Validator(TRIGGER_AUTHENTICATION)
        return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, KUBE, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{list(exc.path)}: {exc.message}"]
    return []


def kustomize_docs() -> list[dict[str, Any]]:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    return [d for name in listed for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def pod_of(doc: dict[str, Any]) -> dict[str, Any]:
    return dict(doc["spec"]["template"]["spec"])


def secret_refs(doc: dict[str, Any], prefix: str) -> set[tuple[str, str]]:
    """(Secret, key) of every Secret named ``prefix``* that a workload's pod reads: volumes (secret, projected;
    "*" when every key is mounted) and environment (valueFrom, envFrom)."""
    pod, out = pod_of(doc), set()
    for vol in pod.get("volumes", []):
        sources = [vol["secret"] | {"name": vol["secret"]["secretName"]}] if "secret" in vol else [
            s["secret"] for s in vol.get("projected", {}).get("sources", []) if "secret" in s]
        for src in sources:
            out |= {(src["name"], k) for k in ([i["key"] for i in src.get("items", [])] or ["*"])}
    for c in pod.get("initContainers", []) + pod["containers"]:
        for env in c.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                out.add((ref["name"], ref["key"]))
        out |= {(e["secretRef"]["name"], "*") for e in c.get("envFrom", []) if "secretRef" in e}
    return {(name, key) for name, key in out if name.startswith(prefix)}


def restricted_violations(doc: dict[str, Any]) -> list[str]:
    """Pod Security Standards, level "restricted" (v1.31), for one workload."""
    pod, where, out = pod_of(doc), doc["metadata"]["name"], []
    psc = pod.get("securityContext", {})
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            out.append(f"{where}: {flag}")
    for vol in pod.get("volumes", []):
        kinds = set(vol) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            out.append(f"{where}: volume {vol['name']} is {kinds}")
    for c in pod.get("initContainers", []) + pod["containers"]:
        csc, name = c.get("securityContext", {}), f"{where}/{c['name']}"
        if csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True:
            out.append(f"{name}: runAsNonRoot")
        if csc.get("runAsUser", psc.get("runAsUser")) == 0:
            out.append(f"{name}: runAsUser 0")
        if csc.get("allowPrivilegeEscalation") is not False:
            out.append(f"{name}: allowPrivilegeEscalation")
        if "ALL" not in csc.get("capabilities", {}).get("drop", []):
            out.append(f"{name}: capabilities not dropped")
        if set(csc.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
            out.append(f"{name}: capabilities added")
        seccomp = csc.get("seccompProfile", psc.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append(f"{name}: seccompProfile")
        if csc.get("privileged"):
            out.append(f"{name}: privileged")
    return out


def stock_cluster_problems(docs: list[dict[str, Any]], scaled: str = "zygarde-trainer") -> list[str]:
    """What a stock cluster (kind, minikube, k3s) or its Pod Security admission would refuse or break."""
    out = []
    kinds = {d["kind"] for d in docs}
    if "NetworkPolicy" not in kinds:
        out.append("no NetworkPolicy")
    for doc in docs:
        name = doc["metadata"]["name"]
        if doc["kind"] == "PersistentVolumeClaim" and "ReadWriteMany" in doc["spec"]["accessModes"]:
            out.append(f"{name}: ReadWriteMany (the default provisioners refuse it: Pending forever)")
        if doc["kind"] == "Deployment" and name == scaled and "replicas" in doc["spec"]:
            out.append(f"{name}: replicas set on a Deployment the scaler owns (re-applying resets it)")
        if doc["kind"] not in WORKLOADS:
            continue
        out += restricted_violations(doc)
        for c in pod_of(doc)["containers"]:
            image, where = c["image"], f"{name}/{c['name']}"
            if image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1]:
                out.append(f"{where}: image {image} has no versioned tag")
            if c.get("imagePullPolicy") != "IfNotPresent":
                out.append(f"{where}: imagePullPolicy {c.get('imagePullPolicy')}")
            if doc["kind"] != "Job" and not (c.get("readinessProbe") and c.get("livenessProbe")):
                out.append(f"{where}: probes")
            for env in c.get("env", []):
                # a *_FILE names a mounted Secret's path (MONGO_INITDB_ROOT_PASSWORD_FILE), not a value
                if (any(w in env["name"] for w in ("TOKEN", "SECRET", "PASSWORD")) and "value" in env
                        and not env["name"].endswith("_FILE")):
                    out.append(f"{where}: {env['name']} as a plain value, not from a Secret")
    return out


@pytest.fixture(scope="module")
def default_docs() -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="module")
def keda_docs() -> list[dict[str, Any]]:
    return render("scaler.backend=keda")


def test_helm_lint_passes() -> None:
    res = helm("lint", str(CHART), "--kube-version", KUBE, "--strict")
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("variant", ["default_docs", "keda_docs"])
def test_every_rendered_object_passes_the_kubernetes_131_schemas(variant: str,
                                                                request: pytest.FixtureRequest) -> None:
    docs = request.getfixturevalue(variant)
    assert len(docs) >= 15
    errors = {f"{d['kind']}/{d['metadata']['name']}": schema_errors(d) for d in docs}
    assert {k: v for k, v in errors.items() if v} == {}


@pytest.mark.parametrize("variant", ["default_docs", "keda_docs"])
def test_a_stock_cluster_takes_the_chart(variant: str, request: pytest.FixtureRequest) -> None:
    assert stock_cluster_problems(request.getfixturevalue(variant)) == []


def test_the_kustomize_base_passes_the_schemas_and_a_stock_cluster() -> None:
    docs = kustomize_docs()
    errors = {f"{d['kind']}/{d['metadata']['name']}": schema_errors(d) for d in docs}
    assert {k: v for k, v in errors.items() if v} == {}
    assert stock_cluster_problems(docs) == []


def test_the_keda_variant_swaps_the_scaler_for_a_valid_scaledobject(keda_docs: list[dict[str, Any]],
                                                                    default_docs: list[dict[str, Any]]) -> None:
    names = {(d["kind"], d["metadata"]["name"]) for d in keda_docs}
    assert ("ScaledObject", "zygarde-trainer") in names
    assert ("Deployment", "zygarde-scaler") not in names and ("Role", "zygarde-scaler") not in names
    assert ("Deployment", "zygarde-scaler") in {(d["kind"], d["metadata"]["name"]) for d in default_docs}
    scaled = next(d for d in keda_docs if d["kind"] == "ScaledObject")
    trigger = scaled["spec"]["triggers"][0]["metadata"]
    assert (trigger["consumerGroup"], trigger["topic"]) == ("zygarde-trainers", "zygarde.trials")
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (0, 4)


def test_the_scaler_may_patch_only_the_trainers_scale(default_docs: list[dict[str, Any]]) -> None:
    role = next(d for d in default_docs if d["kind"] == "Role")
    assert role["rules"] == [{"apiGroups": ["apps"], "resources": ["deployments/scale"],
                              "resourceNames": ["zygarde-trainer"], "verbs": ["get", "patch", "update"]}]
    scaler = next(d for d in default_docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "zygarde-scaler")
    assert pod_of(scaler)["serviceAccountName"] == "zygarde-scaler"
    others = [d for d in default_docs if d["kind"] in WORKLOADS and d["metadata"]["name"] != "zygarde-scaler"]
    assert all(pod_of(d)["automountServiceAccountToken"] is False for d in others)


def test_external_kafka_and_mongo_replace_the_in_cluster_ones() -> None:
    docs = render("kafka.enabled=false", "kafka.externalBootstrap=kafka.example:9092",
                  "mongo.enabled=false", "mongo.externalUriSecret=zygarde-mongo")
    assert not {"kafka", "mongo"} & {d["metadata"]["name"] for d in docs if d["kind"] == "StatefulSet"}
    planner = next(d for d in docs if d["metadata"]["name"] == "zygarde-planner" and d["kind"] == "Deployment")
    env = {e["name"]: e for e in pod_of(planner)["containers"][0]["env"]}
    assert env["ZYGARDE_KAFKA_BOOTSTRAP"]["value"] == "kafka.example:9092"
    assert env["ZYGARDE_MONGO_URI"]["valueFrom"]["secretKeyRef"] == {"name": "zygarde-mongo", "key": "uri"}
    assert all(schema_errors(d) == [] for d in docs)


# --- the checks themselves fail on what a cluster refuses ---------------------------------------


def test_a_string_replica_count_is_refused_by_the_chart() -> None:
    res = helm("template", "zygarde", str(CHART), "--kube-version", KUBE, "--set-string", "planner.replicas=two")
    assert res.returncode != 0 and "planner.replicas" in res.stderr


def test_the_schema_check_catches_a_string_replica_count_and_an_unknown_field(
        default_docs: list[dict[str, Any]], keda_docs: list[dict[str, Any]]) -> None:
    planner = next(d for d in default_docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "zygarde-planner")
    broken = copy.deepcopy(planner)
    broken["spec"]["replicas"] = "2"
    assert schema_errors(broken), "a string replica count passed the schema check"
    typo = copy.deepcopy(planner)
    typo["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "IfNotPresent"
    assert schema_errors(typo), "an unknown field passed the schema check"
    scaled = copy.deepcopy(next(d for d in keda_docs if d["kind"] == "ScaledObject"))
    scaled["spec"]["maxReplicaCount"] = "4"
    assert schema_errors(scaled), "a string maxReplicaCount passed KEDA's schema"


def test_the_stock_cluster_check_catches_what_the_old_manifests_did(default_docs: list[dict[str, Any]]) -> None:
    docs = copy.deepcopy(default_docs)
    trainer = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "zygarde-trainer")
    trainer["spec"]["replicas"] = 0
    container = pod_of(trainer)["containers"][0]
    container["image"], container["imagePullPolicy"] = "zygarde:latest", "Always"
    del container["securityContext"]["allowPrivilegeEscalation"]
    next(d for d in docs if d["kind"] == "PersistentVolumeClaim")["spec"]["accessModes"] = ["ReadWriteMany"]
    docs = [d for d in docs if d["kind"] != "NetworkPolicy"]
    problems = " ".join(stock_cluster_problems(docs))
    for expected in ("no NetworkPolicy", "ReadWriteMany", "replicas set", "no versioned tag", "imagePullPolicy",
                     "allowPrivilegeEscalation"):
        assert expected in problems, expected


def test_s3_datasets_take_credentials_from_a_secret() -> None:
    docs = render("s3.dataRoots=s3://ml-data/datasets/", "s3.endpointUrl=http://minio.storage:9000",
                  "s3.credentialsSecret=zygarde-s3")
    trainer = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "zygarde-trainer")
    env = {e["name"]: e for e in pod_of(trainer)["containers"][0]["env"]}
    assert env["ZYGARDE_S3_DATA_ROOTS"]["value"] == "s3://ml-data/datasets/"
    assert env["ZYGARDE_S3_ENDPOINT_URL"]["value"] == "http://minio.storage:9000"
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert env[key]["valueFrom"]["secretKeyRef"] == {"name": "zygarde-s3", "key": key}
    assert all(schema_errors(d) == [] for d in docs) and stock_cluster_problems(docs) == []



@pytest.mark.parametrize("source", ["helm", "kustomize"])
def test_the_cluster_broker_lets_trainers_started_together_share_the_first_rebalance(source: str) -> None:
    """As compose's broker (tests/contract/test_deploy.py): trainers the scaler or KEDA starts together join
    one generation of the group instead of the first taking every partition of `trials`."""
    docs = render() if source == "helm" else kustomize_docs()
    broker = next(d for d in docs if d["kind"] in WORKLOADS and d["metadata"]["name"] == "kafka")
    env = {e["name"]: e.get("value") for e in pod_of(broker)["containers"][0]["env"]}
    assert int(env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"]) >= 1000
