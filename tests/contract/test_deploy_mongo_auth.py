"""MongoDB's own auth in the compose stack (docs/security.md "MongoDB-wire"): a root user from a secret, an init
script creating one user per service with only the privileges the doc lists, and each service's URI in its own
secret. Checked on the rendered compose file, the init script and the secrets script; the authenticated path is
not run here: the compose tests run a FerretDB/SQLite image, which cannot authenticate (bench/_compose.py writes
URIs without users for it, ZYGARDE_MONGO_AUTH=0), and no MongoDB image or binary can be had on this machine."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
STORE_SERVICES = ("planner", "selector", "trainer", "scaler")
USERS_JS = ROOT / "deploy" / "compose" / "mongo-init" / "users.js"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def secret_sources(service: dict[str, Any]) -> list[str]:
    return [s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])]


def test_compose_gives_each_store_service_only_its_own_mongo_uri() -> None:
    services = compose()["services"]
    for name, service in services.items():
        uris = [s for s in secret_sources(service) if s.startswith("mongo-") and s.endswith(".uri")]
        if name in STORE_SERVICES:
            assert uris == [f"mongo-{name}.uri"], name
            targets = [s["target"] for s in service["secrets"] if isinstance(s, dict) and s["source"] == uris[0]]
            assert targets == ["mongo-uri"]
            assert service["environment"]["ZYGARDE_MONGO_URI_FILE"] == "/run/secrets/mongo-uri"
        else:
            assert uris == [], name
        passwords = [s for s in secret_sources(service) if s.startswith("mongo-") and s.endswith("password")]
        assert passwords == ([] if name != "mongo" else
                             ["mongo-root-password", *(f"mongo-{s}-password" for s in STORE_SERVICES)]), name
    # the scaler's trainers get the trainer's URI file, not the scaler's own
    scaler_env = services["scaler"]["environment"]
    assert scaler_env["ZYGARDE_SCALER_DOCKER_MONGO_URI_FILE"].endswith("/mongo-trainer.uri")


def test_compose_mongo_runs_with_its_own_auth_and_the_init_script() -> None:
    mongo = compose()["services"]["mongo"]
    assert mongo["environment"]["MONGO_INITDB_ROOT_USERNAME"] == "root"
    assert mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD_FILE"] == "/run/secrets/mongo-root-password"
    assert "./deploy/compose/mongo-init:/docker-entrypoint-initdb.d:ro" in mongo["volumes"]
    assert "ports" not in mongo  # on the compose network only


def js_users() -> dict[str, str]:
    block = USERS_JS.read_text().split("const USERS = {", 1)[1].split("};", 1)[0]
    return dict(re.findall(r"^\s*(\w+): \[\{ role: \"([\w-]+)\", db: \"zygarde\" \}\],", block, re.M))


def js_roles() -> dict[str, dict[str, set[str]]]:
    text = USERS_JS.read_text()
    consts = dict(re.findall(r"^const (\w+) = (\[[^\]]*\]);", text, re.M))
    roles: dict[str, dict[str, set[str]]] = {}
    for role, body in re.findall(r"createRole\(\{\s*role: \"([\w-]+)\",\s*privileges: (.*?),\s*roles: \[\]", text,
                                 re.S):
        privileges: dict[str, set[str]] = {}
        for names, actions in re.findall(r"collections\((\[[^\]]*\]), (\w+|\[[^\]]*\])\)", body):
            actions = consts.get(actions, actions)
            for collection in re.findall(r"\"(\w+)\"", names):
                privileges.setdefault(collection, set()).update(re.findall(r"\"(\w+)\"", actions))
        roles[role] = privileges
    return roles


def doc_users() -> dict[str, tuple[str, dict[str, set[str]]]]:
    """The table in docs/security.md: | `zygarde-<service>` | `<role>` | collection: action, ...; ... |"""
    rows = re.findall(r"^\| `zygarde-(\w+)` \| `([\w-]+)` \| ([^|]*)\|", (ROOT / "docs" / "security.md").read_text(),
                      re.M)
    table = {}
    for service, role, privileges in rows:
        parsed: dict[str, set[str]] = {}
        for part in privileges.split(";"):
            if ":" in part:
                collection, actions = part.split(":", 1)
                parsed[collection.strip().strip("`")] = {a.strip() for a in actions.split(",")}
        table[service] = (role, parsed)
    return table


def test_init_script_creates_exactly_the_users_and_roles_the_doc_lists() -> None:
    doc, users, roles = doc_users(), js_users(), js_roles()
    assert sorted(users) == sorted(STORE_SERVICES) == sorted(doc)
    for service, role in users.items():
        assert doc[service][0] == role, service
        if role.startswith("zygarde-"):  # a role of our own: the privileges the doc names, no more
            assert roles[role] == doc[service][1], service
    assert sorted(roles) == sorted(r for r in users.values() if r.startswith("zygarde-"))
    # the trainer and the scaler never write jobs or trials, nor read results
    assert roles["zygarde-trainer"]["trials"] == {"find"}
    assert set(roles["zygarde-scaler"]) == {"jobs", "trials"}
    assert all(actions == {"find"} for actions in roles["zygarde-scaler"].values())


def test_secrets_script_writes_each_service_its_own_user_or_none_without_auth(tmp_path: Path) -> None:
    script = ROOT / "deploy" / "compose" / "mongo-secrets.sh"
    files = set(compose()["secrets"])
    for auth in ("1", "0"):
        out = tmp_path / auth
        run = subprocess.run([str(script), str(out)], env={**os.environ, "ZYGARDE_MONGO_AUTH": auth},
                             capture_output=True, text=True, timeout=30, check=True)
        for service in STORE_SERVICES:
            uri = (out / f"mongo-{service}.uri").read_text()
            password = (out / f"mongo-{service}-password").read_text()
            assert password not in run.stdout + run.stderr
            if auth == "1":
                assert uri == f"mongodb://zygarde-{service}:{password}@mongo:27017/zygarde?authSource=zygarde"
            else:
                assert uri == "mongodb://mongo:27017/zygarde"
        written = {p.name for p in out.iterdir() if p.name.startswith("mongo-")}
        assert written == {f for f in files if f.startswith("mongo-")}
        assert oct(out.stat().st_mode & 0o777) == "0o700"
