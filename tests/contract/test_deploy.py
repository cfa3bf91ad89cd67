"""Offline checks of what cannot run here: docker-compose, Kubernetes manifests, Prometheus, Grafana.

No Docker engine and no cluster: compose is checked as data, every Kubernetes document is read into
the official client's models (an unknown or misspelled field fails), Prometheus files go through
``promtool``, and every PromQL expression may only name metrics the services export.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[2]
K8S = ROOT / "deploy" / "k8s"
PROM = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"

SERVICES = ("planner", "trainer", "selector", "scaler")
INFRA = ("kafka", "mongo", "prometheus", "grafana")
IMAGES = {
    "kafka": "apache/kafka:4.1.1",
    "mongo": "mongo:7",
    "prometheus": "prom/prometheus",
    "grafana": "grafana/grafana",
}
PORTS = {
    "kafka": 9092,
    "mongo": 27017,
    "prometheus": 9090,
    "grafana": 3000,
    "planner": 8080,
    "selector": 9102,
    "scaler": 9103,
}
METRICS_PORTS = {"planner": 8080, "trainer": 9101, "selector": 9102, "scaler": 9103}
CONTRACT_ENV = (
    "ZYGARDE_KAFKA_BOOTSTRAP",
    "ZYGARDE_MONGO_URI",
    "ZYGARDE_PLANNER_URL",
    "ZYGARDE_PROMETHEUS_URL",
    "ZYGARDE_TOPIC_PREFIX",
    "ZYGARDE_ADMIN_TOKEN",
    "ZYGARDE_DATA_ROOTS",
    "ZYGARDE_HOME",
    "ZYGARDE_ARTIFACT_URI",
)
SECRET_ENV = ("ZYGARDE_ADMIN_TOKEN",)

# The metrics dashboards and rules may use (docs/contract.md's and the ones Zygarde adds); the live
# dashboard test evaluates every expression against a real Prometheus, so these must all exist.
KNOWN_METRICS: frozenset[str] = frozenset(
    {
        "zygarde_planner_trials_requested_total",
        "zygarde_planner_trials_finished_total",
        "zygarde_planner_jobs",
        "zygarde_trainer_trials_total",
        "zygarde_trainer_trial_duration_seconds",
        "zygarde_scaler_consumer_lag",
        "zygarde_scaler_in_flight_trials",
        "zygarde_scaler_desired_replicas",
        "zygarde_scaler_current_replicas",
        "zygarde_scaler_instance_seconds_total",
        "zygarde_selector_results_total",
        "zygarde_bus_messages_consumed_total",
        "zygarde_bus_messages_produced_total",
        "zygarde_bus_dead_lettered_total",
        "zygarde_http_requests_total",
        "zygarde_http_request_duration_seconds",
    }
)
HISTOGRAMS: frozenset[str] = frozenset(
    {"zygarde_trainer_trial_duration_seconds", "zygarde_http_request_duration_seconds"}
)
# The series names a query may spell: histograms through their _bucket, _sum and _count.
KNOWN_SERIES: frozenset[str] = KNOWN_METRICS | {
    f"{h}{suffix}" for h in HISTOGRAMS for suffix in ("_bucket", "_sum", "_count")
}
METRIC_NAME = re.compile(r"\bzygarde_[a-z0-9_]+\b")


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_deploy_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool") or "/usr/bin/promtool"
    assert Path(exe).exists(), "promtool is needed (apt-get install prometheus)"
    return subprocess.run([exe, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=60)


# --- docker-compose and the image ------------------------------------------------------------


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def port_numbers(service: dict[str, Any]) -> set[int]:
    """Container ports, published ("127.0.0.1:8080:8080", {target: 8080}) or only exposed."""
    out = {int(p) for p in service.get("expose", [])}
    for p in service.get("ports", []):
        out.add(int(p["target"]) if isinstance(p, dict) else int(str(p).split(":")[-1].split("/")[0]))
    return out


def default_of(value: str) -> str:
    """``${VAR:-default}`` -> ``default``; a plain value stays."""
    match = re.fullmatch(r"\$\{[A-Z_]+:-(.+)\}", value)
    return match.group(1) if match else value


def test_compose_has_every_service_with_its_real_image_and_contract_port() -> None:
    services = compose()["services"]
    assert set(INFRA + SERVICES) <= set(services)
    for name, image in IMAGES.items():
        assert default_of(services[name]["image"]).startswith(image), name
    for name, port in PORTS.items():
        assert port in port_numbers(services[name]), (name, port)


def test_compose_publishes_only_the_planner_on_the_loopback() -> None:
    services = compose()["services"]
    published = {name: svc["ports"] for name, svc in services.items() if svc.get("ports")}
    assert published.pop("planner") == ["127.0.0.1:${ZYGARDE_PLANNER_PORT:-8080}:8080"]
    assert services["grafana"]["profiles"] == ["dashboards"], "Grafana only when asked for"
    assert published.pop("grafana") == ["127.0.0.1:3000:3000"]
    assert published == {}, "Kafka, MongoDB, Prometheus and the metrics ports stay on the compose network"
    for name in ("kafka", "mongo", "prometheus"):
        assert re.fullmatch(r"\$\{ZYGARDE_[A-Z]+_IMAGE:-.+\}", services[name]["image"]), name


def test_compose_trainers_and_the_scalers_trainers_are_alike() -> None:
    services = compose()["services"]
    trainer, scaler = services["trainer"], env_of(services["scaler"])
    assert trainer["labels"] == {"dev.zygarde.role": "trainer"}, "the scaler counts compose's trainers"
    network = compose()["networks"]["default"]["name"]
    assert scaler["ZYGARDE_SCALER_DOCKER_NETWORK"] == network
    assert scaler["ZYGARDE_SCALER_DOCKER_IMAGE"] == trainer["image"]
    artifacts = compose()["volumes"]["artifacts"]["name"]
    mounts = scaler["ZYGARDE_SCALER_DOCKER_VOLUMES"].split(",")
    assert f"{artifacts}:/var/lib/zygarde/artifacts" in mounts
    assert "artifacts:/var/lib/zygarde/artifacts" in trainer["volumes"]
    assert any(m.endswith(":/data:ro") for m in mounts)


def test_compose_broker_lets_trainers_started_together_share_the_first_rebalance() -> None:
    """The scaler starts a burst's trainers together. With no initial rebalance delay the first to join
    an empty group takes every partition of `trials`, and the second's share waits for the first one's
    running trial (bench/results/container_cost.md: 5-10 s of start-up per burst)."""
    env = env_of(compose()["services"]["kafka"])
    assert int(env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"]) >= 1000


def test_compose_runs_each_app_service_as_zygarde_run_from_the_one_dockerfile() -> None:
    services = compose()["services"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r'^ENTRYPOINT \["zygarde"\]$', dockerfile, re.M)
    images = set()
    for name in SERVICES:
        svc = services[name]
        assert svc["command"] == ["run", name], name  # with the ENTRYPOINT: `zygarde run <name>`
        assert svc["build"] in (".", {"context": "."}), name
        images.add(default_of(svc["image"]))
        env = env_of(svc)
        assert set(CONTRACT_ENV) <= set(env), (name, set(CONTRACT_ENV) - set(env))
        assert env["ZYGARDE_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["ZYGARDE_MONGO_URI"].startswith("mongodb://mongo:27017/")
        for dep in ("kafka", "mongo"):
            assert svc["depends_on"][dep]["condition"] == "service_healthy", (name, dep)
    assert len(images) == 1
    assert env_of(services["trainer"])["ZYGARDE_TRAINER_METRICS_PORT"] == "9101"
    assert env_of(services["selector"])["ZYGARDE_SELECTOR_METRICS_PORT"] == "9102"
    assert env_of(services["scaler"])["ZYGARDE_SCALER_METRICS_PORT"] == "9103"
    assert services["trainer"]["deploy"]["replicas"] == 2
    assert env_of(services["scaler"])["ZYGARDE_SCALER_BACKEND"] == "docker"
    assert any("/var/run/docker.sock" in str(v) for v in services["scaler"]["volumes"])


def test_compose_creates_topics_and_checks_health() -> None:
    services = compose()["services"]
    init = [
        s for s in services.values() if s.get("command") in (["topics", "create"], ["up", "--only", "topics"])
    ]
    assert len(init) == 1 and init[0]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in SERVICES:
        assert services[name]["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    for name in ("kafka", "mongo", "prometheus", "planner"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["planner"]["healthcheck"]["test"])
    assert services["prometheus"]["command"][0] == "--config.file=/etc/prometheus/prometheus.compose.yml"
    assert "./deploy/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in services["grafana"]["volumes"]
    kafka = env_of(services["kafka"])
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"] and "CONTROLLER://:9093" in kafka["KAFKA_LISTENERS"]


def test_compose_and_image_hold_no_secret_value() -> None:
    for name, svc in compose()["services"].items():
        for key, value in env_of(svc).items():
            if key.endswith("_FILE") and value.startswith("/run/secrets/"):
                continue  # a compose secret's path (MONGO_INITDB_ROOT_PASSWORD_FILE), not a value
            if any(word in key for word in ("TOKEN", "PASSWORD", "SECRET")):
                # only a reference to the caller's environment / .env, and no default after ":-" or "-"
                assert re.fullmatch(r"\$\{" + key + r"(:\?[^}]*)?\}", value), (name, key, value)
    assert set(SECRET_ENV) <= set(env_of(compose()["services"]["planner"]))
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "TOKEN" not in dockerfile
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim$", dockerfile, re.M), "the official base by default"
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", dockerfile, re.M)
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0"), "the image runs as a non-root user"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".zygarde", ".env"} <= set(ignored)


# --- Kubernetes ---------------------------------------------------------------------------------

MODELS = {
    "Namespace": "V1Namespace",
    "ConfigMap": "V1ConfigMap",
    "Secret": "V1Secret",
    "Deployment": "V1Deployment",
    "StatefulSet": "V1StatefulSet",
    "Job": "V1Job",
    "Service": "V1Service",
    "PersistentVolumeClaim": "V1PersistentVolumeClaim",
    "ServiceAccount": "V1ServiceAccount",
    "Role": "V1Role",
    "RoleBinding": "V1RoleBinding",
    "NetworkPolicy": "V1NetworkPolicy",
}
API_VERSIONS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
}
CONFIGMAP_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def k8s_docs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        out += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return out


DOCS = k8s_docs()
K8S_IDS = [f"{n}:{d['kind']}/{d['metadata']['name']}" for n, d in DOCS]


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def applied_docs() -> list[dict[str, Any]]:
    """What `kubectl apply -k` creates, plus the Secret an operator creates by hand."""
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    return [d for n, d in DOCS if n in listed or n == "secret.example.yaml"]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in applied_docs() if d["kind"] == kind}


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"]


@pytest.mark.parametrize("name, doc", DOCS, ids=K8S_IDS)
def test_manifest_matches_the_kubernetes_openapi_models(name: str, doc: dict[str, Any]) -> None:
    from kubernetes import client

    if doc["kind"] == "ScaledObject":  # KEDA's CRD: not in the core client; its own checks below
        trigger = doc["spec"]["triggers"][0]
        assert trigger["type"] == "kafka" and trigger["metadata"]["consumerGroup"] == "zygarde-trainers"
        assert doc["spec"]["scaleTargetRef"]["name"] == "zygarde-trainer"
        return
    assert doc["apiVersion"] == API_VERSIONS.get(doc["kind"], "v1")
    if doc["kind"] != "Namespace":
        assert doc["metadata"]["namespace"] == "zygarde"
    api = client.ApiClient()

    class Response:
        data = json.dumps(doc)

    model = api.deserialize(Response(), MODELS[doc["kind"]])  # required fields missing -> ValueError
    # A misspelled or unknown field is dropped by the model: the round trip must give the document back.
    assert _strip_nulls(api.sanitize_for_serialization(model)) == _strip_nulls(json.loads(json.dumps(doc)))
    if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
        labels = doc["spec"]["template"]["metadata"]["labels"]
        selector = doc["spec"].get("selector", {}).get("matchLabels", {})
        assert selector.items() <= labels.items(), "the selector must match the pod template"
        for container in pod_spec(doc)["containers"]:
            assert container["image"] and ":" in container["image"], container["name"]
    if doc["kind"] == "ConfigMap":
        assert all(CONFIGMAP_KEY.fullmatch(k) for k in doc.get("data", {})), list(doc["data"])


def test_every_service_is_a_deployment_running_zygarde_run() -> None:
    deployments = by_kind("Deployment")
    config = by_kind("ConfigMap")["zygarde-config"]["data"]
    assert set(CONTRACT_ENV) - set(SECRET_ENV) <= set(config)
    assert config["ZYGARDE_SCALER_BACKEND"] == "kubernetes"
    for name in SERVICES:
        spec = pod_spec(deployments[f"zygarde-{name}"])
        container = spec["containers"][0]
        assert container["image"] == "zygarde:0.1.0" and container["imagePullPolicy"] == "IfNotPresent"
        assert container.get("command") is None and container["args"] == ["run", name]
        assert {"configMapRef": {"name": "zygarde-config"}} in container["envFrom"]
        assert METRICS_PORTS[name] in {p["containerPort"] for p in container["ports"]}
        assert spec["securityContext"]["runAsNonRoot"] is True
    assert "replicas" not in deployments["zygarde-trainer"]["spec"], "the scaler owns the trainers' replicas"
    for name in ("prometheus", "grafana"):
        assert name in deployments
    statefulsets = by_kind("StatefulSet")
    assert pod_spec(statefulsets["kafka"])["containers"][0]["image"] == "apache/kafka:4.1.1"
    assert pod_spec(statefulsets["mongo"])["containers"][0]["image"].startswith("mongo:7")
    jobs = by_kind("Job")
    assert [pod_spec(j)["containers"][0]["args"] for j in jobs.values()] == [["topics", "create"]]


def test_secrets_are_references_and_the_example_holds_a_placeholder() -> None:
    example = [d for n, d in DOCS if n == "secret.example.yaml"]
    kafka = {f"zygarde-kafka-{p}" for p in ("admin", "planner", "selector", "trainer", "scaler", "submitter")}
    # MongoDB (docs/security.md "MongoDB-wire"): the root user and, as an example of the four, the planner's
    mongo = {"zygarde-mongo-root", "zygarde-mongo-planner"}
    assert {d["metadata"]["name"] for d in example} == {"zygarde-admin", *kafka, *mongo}
    assert all(set(d["stringData"].values()) == {"REPLACE-ME"} for d in example)
    kustom = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustom["resources"]
    for doc in applied_docs():
        if doc["kind"] == "ConfigMap":
            assert not any("TOKEN" in k or "PASSWORD" in k for k in doc["data"]), doc["metadata"]["name"]
        if doc["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        for container in pod_spec(doc)["containers"]:
            for env in container.get("env", []):
                if env["name"] in SECRET_ENV:
                    ref = env["valueFrom"]["secretKeyRef"]
                    assert "value" not in env and ref == {"name": "zygarde-admin", "key": "token"}


def test_every_reference_between_manifests_resolves() -> None:
    names = {kind: set(by_kind(kind)) for kind in MODELS}
    workloads = [d for d in applied_docs() if d["kind"] in ("Deployment", "StatefulSet", "Job")]
    for doc in workloads:
        spec = pod_spec(doc)
        where = doc["metadata"]["name"]
        assert spec.get("serviceAccountName", "default") in names["ServiceAccount"] | {"default"}, where
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in names["ConfigMap"], where
                cm_keys = set(by_kind("ConfigMap")[volume["configMap"]["name"]]["data"])
                assert {i["key"] for i in volume["configMap"].get("items", [])} <= cm_keys, where
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in names["PersistentVolumeClaim"], where
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in names["ConfigMap"], where
            for env in container.get("env", []):
                if "valueFrom" in env:
                    assert env["valueFrom"]["secretKeyRef"]["name"] in names["Secret"], where
    for svc in by_kind("Service").values():
        pods = [
            d
            for d in workloads
            if svc["spec"]["selector"].items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert pods, f"Service {svc['metadata']['name']} selects no pods"
        container_ports = {
            p["containerPort"] for d in pods for c in pod_spec(d)["containers"] for p in c["ports"]
        }
        for port in svc["spec"]["ports"]:
            assert port.get("targetPort", port["port"]) in container_ports, svc["metadata"]["name"]
    for binding in by_kind("RoleBinding").values():
        assert binding["roleRef"]["name"] in names["Role"]
        assert {s["name"] for s in binding["subjects"]} <= names["ServiceAccount"]


def test_the_scaler_may_get_and_patch_the_trainers_scale() -> None:
    scaler = pod_spec(by_kind("Deployment")["zygarde-scaler"])
    account = scaler["serviceAccountName"]
    bindings = [
        b
        for b in by_kind("RoleBinding").values()
        if {"kind": "ServiceAccount", "name": account, "namespace": "zygarde"} in b["subjects"]
    ]
    rules = [r for b in bindings for r in by_kind("Role")[b["roleRef"]["name"]]["rules"]]
    assert any(
        "apps" in r["apiGroups"]
        and "deployments/scale" in r["resources"]
        and {"get", "patch"} <= set(r["verbs"])
        and "zygarde-trainer" in r.get("resourceNames", ["zygarde-trainer"])
        for r in rules
    )


def test_kustomization_lists_every_manifest_and_mentions_keda() -> None:
    text = (K8S / "kustomization.yaml").read_text()
    resources = yaml.safe_load(text)["resources"]
    assert all((K8S / r).exists() for r in resources)
    optional = {"kustomization.yaml", "secret.example.yaml", "keda-scaledobject.yaml"}
    assert {p.name for p in K8S.glob("*.yaml")} - optional == set(resources)
    assert re.search(r"^\s*#\s*-\s*keda-scaledobject\.yaml", text, re.M)
    assert "KEDA" in (K8S / "README.md").read_text()


def test_monitoring_configmaps_are_generated_from_their_sources() -> None:
    generator = load_module(K8S / "generate.py")
    assert (K8S / "monitoring-config.yaml").read_text() == generator.render(), (
        "run python deploy/k8s/generate.py"
    )


# --- Prometheus ---------------------------------------------------------------------------------


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.compose.yml", "prometheus.k8s.yml"])
def test_promtool_accepts_the_config(config: str) -> None:
    res = promtool("check", "config", PROM / config)
    assert res.returncode == 0, res.stdout + res.stderr


def test_promtool_accepts_the_rules() -> None:
    res = promtool("check", "rules", *sorted((PROM / "rules").glob("*.yml")))
    assert res.returncode == 0, res.stdout + res.stderr


def scrape_targets(config: str) -> dict[str, list[str]]:
    doc = yaml.safe_load((PROM / config).read_text())
    return {
        job["job_name"]: [t for sc in job.get("static_configs", []) for t in sc["targets"]]
        for job in doc["scrape_configs"]
    }


def test_scrape_targets_follow_the_contract_ports() -> None:
    local = scrape_targets("prometheus.yml")
    assert {t for ts in local.values() for t in ts} == {"127.0.0.1:8080", "127.0.0.1:9102", "127.0.0.1:9103"}
    doc = yaml.safe_load((PROM / "prometheus.yml").read_text())
    trainers = [j for j in doc["scrape_configs"] if "file_sd_configs" in j]
    # relative to the config file: the local stack writes targets/ beside its copy of this file
    assert trainers and trainers[0]["file_sd_configs"][0]["files"] == ["targets/trainers.json"]
    compose_targets = {t for ts in scrape_targets("prometheus.compose.yml").values() for t in ts}
    assert compose_targets == {"planner:8080", "selector:9102", "scaler:9103"}
    compose_text = (PROM / "prometheus.compose.yml").read_text()
    assert "trainer" in compose_text and "9101" in compose_text


def rule_exprs() -> list[str]:
    out = []
    for path in sorted((PROM / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            out += [r["expr"] for r in group["rules"]]
    return out


def test_rules_cover_throughput_quantiles_lag_and_the_alerts() -> None:
    groups = [
        g for p in sorted((PROM / "rules").glob("*.yml")) for g in yaml.safe_load(p.read_text())["groups"]
    ]
    records = {r["record"]: r["expr"] for g in groups for r in g["rules"] if "record" in r}
    alerts = {r["alert"]: r for g in groups for r in g["rules"] if "alert" in r}
    exprs = " ".join(records.values())
    assert "zygarde_planner_trials_requested_total" in exprs and "zygarde_trainer_trials_total" in exprs
    assert "histogram_quantile(0.5," in exprs and "histogram_quantile(0.95," in exprs and "algorithm" in exprs
    assert "zygarde_scaler_consumer_lag" in exprs
    assert len(alerts) >= 4
    assert all(a["annotations"]["summary"] and a["labels"]["severity"] for a in alerts.values())
    text = " ".join(a["expr"] for a in alerts.values())
    for metric in (
        "zygarde_scaler_consumer_lag",
        "zygarde_trainer_trials_total",
        "zygarde_planner_trials_finished_total",
        "zygarde_bus_dead_lettered_total",
    ):
        assert metric in text, metric


# --- Grafana ------------------------------------------------------------------------------------


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))}


def dashboard_exprs() -> list[str]:
    """Every panel query as Grafana sends it to Prometheus (its variables filled in)."""
    expand = load_module(GRAFANA / "generate.py").expand
    return [expand(t["expr"]) for d in dashboards().values() for panel in d["panels"] for t in panel["targets"]]


def test_dashboards_have_panels_with_prometheus_queries() -> None:
    boards = dashboards()
    assert {d["title"] for d in boards.values()} == {"Zygarde overview", "Zygarde job"}
    assert len({d["uid"] for d in boards.values()}) == len(boards)
    for name, board in boards.items():
        assert board["panels"], name
        for panel in board["panels"]:
            # the datasource variable, never a uid of ours: the dashboards import into any Grafana
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
            assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
            assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"]), panel["title"]
    overview = " ".join(
        t["expr"]
        for d in boards.values()
        if d["title"] == "Zygarde overview"
        for p in d["panels"]
        for t in p["targets"]
    )
    for metric in (
        "zygarde_scaler_consumer_lag",
        "zygarde:trials_requested:rate1m",
        "zygarde:trials_finished:rate1m",
        "zygarde:trial_duration_seconds:p95",
        "zygarde_scaler_desired_replicas",
        "zygarde_scaler_current_replicas",
        "zygarde_scaler_instance_seconds_total",
        "zygarde_planner_jobs",
        "zygarde_bus_dead_lettered_total",
    ):
        assert metric in overview, metric


def test_grafana_provisioning_points_at_the_dashboards_and_datasource() -> None:
    sources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert [(s["uid"], s["type"], s["url"]) for s in sources["datasources"]] == [
        ("prometheus", "prometheus", "http://prometheus:9090")
    ]
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "zygarde.yml").read_text())
    path = providers["providers"][0]["options"]["path"]
    assert f"./deploy/grafana/dashboards:{path}:ro" in compose()["services"]["grafana"]["volumes"]
    grafana = pod_spec(by_kind("Deployment")["grafana"])["containers"][0]
    assert path in {m["mountPath"] for m in grafana["volumeMounts"]}


def test_every_expression_is_valid_promql(tmp_path: Path) -> None:
    # promtool has no offline "check this query": each expression becomes a recording rule.
    rules = [{"record": f"zygarde:check:{i}", "expr": e} for i, e in enumerate(dashboard_exprs())]
    path = tmp_path / "dashboard-exprs.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    res = promtool("check", "rules", path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_dashboards_and_rules_use_only_metrics_we_export() -> None:
    exprs = dashboard_exprs() + rule_exprs()
    assert len(dashboard_exprs()) >= 10
    used = {m for e in exprs for m in METRIC_NAME.findall(e)}
    assert used <= KNOWN_SERIES, sorted(used - KNOWN_SERIES)
    # ... and every one of them is declared where the services declare their metrics
    declared = set(re.findall(r'"(zygarde_[a-z0-9_]+)"', (ROOT / "zygarde" / "observability.py").read_text()))
    assert declared >= KNOWN_METRICS, sorted(KNOWN_METRICS - declared)


def test_dashboards_are_generated_from_their_source() -> None:
    generator = load_module(GRAFANA / "generate.py")
    for path, text in generator.render().items():
        assert path.read_text() == text, f"run python deploy/grafana/generate.py ({path.name})"
