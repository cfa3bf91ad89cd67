"""docker-compose.yml with deploy/compose/s3.yml under the real engine (podman's Docker API, runc): datasets
and artifacts only in an S3 server (moto's, a container on the compose network, not published), and trainers
that share no filesystem with the planner or the selector.

The dataset is uploaded to the bucket from a container on the compose network holding the operator's keys
only; nothing of it is on the host. A job submitted over HTTP completes with every trial once. From the
engine: every trainer container (compose's two and each the scaler's docker backend started) has no mount
whose source the planner's or the selector's containers also mount (only its own read-only credential files
and, for compose's, anonymous volumes of its own). The winner and its signature are in the bucket under the
configured prefix, and the trainers wrote their out-of-fold predictions there too; no artifact file is in any
trainer's filesystem: its container layer (`podman diff`, read every few seconds while it runs, since the
scaler removes its trainers once they stop) and its volumes. The planner, selector, scaler and S3 server are
healthy by the engine's own checks. The figures are printed (`compose s3 figures:`, pytest -s)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench._compose import AUTH, ROOT, TRAINER, ComposeStack, TrainerEvents, compose_up, wait_for

PROJECT = "zygardes3"
S3_YML = ROOT / "deploy" / "compose" / "s3.yml"
BUCKET, PREFIX = "zygarde", "e2e-s3"  # the override's defaults are zygarde / compose: these are configured
DATA_KEY = f"{PREFIX}/data/cancer.csv"
ARTIFACTS = f"s3://{BUCKET}/{PREFIX}/artifacts/"
TRIALS = 10
# what an artifact looks like on a disk: a model, its signature, out-of-fold predictions
ARTIFACT_SUFFIXES = (".joblib", ".sig", ".npy")
pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def stack(trainer_events: TrainerEvents, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    with compose_up(PROJECT, trainer_events.sock, trainer_events.env, tmp_path_factory.mktemp("data"),
                    extra_env={"ZYGARDE_S3_BUCKET": BUCKET, "ZYGARDE_S3_PREFIX": PREFIX},
                    overrides=(S3_YML,)) as stack:
        try:
            yield stack
        finally:
            print("compose s3 figures:", json.dumps(stack.figures))


def as_operator(stack: ComposeStack, code: str, *args: str) -> str:
    """Python in a one-off container on the compose network with the operator's S3 keys only (the S3 server
    is not published on the host)."""
    assert stack.secrets is not None
    keys = stack.secrets / "s3-admin.credentials"
    return stack.podman("run", "--rm", "--network", stack.project, "-v", f"{keys}:/run/secrets/s3-credentials:ro",
                        "-e", "AWS_SHARED_CREDENTIALS_FILE=/run/secrets/s3-credentials", "--entrypoint", "python",
                        stack.env["ZYGARDE_IMAGE"], "-c", code, *args)


UPLOAD = ("import io, sys, boto3; from sklearn.datasets import load_breast_cancer; buf = io.StringIO(); "
          "load_breast_cancer(as_frame=True).frame.to_csv(buf, index=False); "
          "boto3.client('s3', endpoint_url='http://s3:5000').put_object("
          "Bucket=sys.argv[1], Key=sys.argv[2], Body=buf.getvalue().encode())")
LIST = ("import json, sys, boto3; pages = boto3.client('s3', endpoint_url='http://s3:5000').get_paginator("
        "'list_objects_v2').paginate(Bucket=sys.argv[1]); "
        "print(json.dumps([o['Key'] for p in pages for o in p.get('Contents', [])]))")


def mounts(stack: ComposeStack, cid: str) -> list[dict[str, Any]]:
    return list(json.loads(stack.podman("inspect", "--format", "{{json .Mounts}}", cid)) or [])


def artifact_files(stack: ComposeStack, cid: str, volumes: list[str]) -> list[str] | None:
    """Artifact-like files in a trainer's container layer and in its volumes (host paths, read as root);
    None when the container is gone (the scaler removed it)."""
    res = subprocess.run(["podman", "diff", cid], env=stack.env, capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        return None
    paths = [line.split(maxsplit=1)[-1] for line in res.stdout.splitlines() if line.strip()]
    paths += [str(p) for v in volumes for p in Path(v).rglob("*") if p.is_file()]
    return [p for p in paths if p.endswith(ARTIFACT_SUFFIXES) or "/var/lib/zygarde/artifacts/" in p
            or "/_data/" in p]


def _ours(event: dict[str, Any]) -> bool:
    """A trainer of this stack (compose's or its scaler's), not another project's on the same engine."""
    attrs = event.get("Attributes") or {}
    return PROJECT in (attrs.get("com.docker.compose.project"), attrs.get("dev.zygarde.stack"))


def test_a_job_completes_with_trainers_on_s3_only(stack: ComposeStack, trainer_events: TrainerEvents) -> None:
    stack.figures["compose_up_healthy_s"] = round(stack.up_s, 1)
    as_operator(stack, UPLOAD, BUCKET, DATA_KEY)
    services = {s: stack.service_container(s) for s in ("planner", "selector")}
    shared = {m["Source"]: s for s, cid in services.items() for m in mounts(stack, cid)}
    trainer_mounts: dict[str, list[dict[str, Any]]] = {}  # every trainer container seen -> its mounts
    found: dict[str, list[str]] = {}  # trainer -> artifact-like files seen in its filesystem
    diffs: dict[str, int] = {}  # trainer -> how many times its filesystem was read
    compose_ids: set[str] = set()  # compose's own trainer replicas (the rest the scaler started)

    def look() -> None:
        compose_own = stack.podman("ps", "-aq", "--no-trunc", "--filter",
                                   f"label=com.docker.compose.project={stack.project}",
                                   "--filter", "label=com.docker.compose.service=trainer").split()
        running = stack.podman("ps", "-q", "--no-trunc", "--filter", f"label={TRAINER}",
                               "--filter", f"network={stack.project}").split()
        compose_ids.update(compose_own)
        for cid in {*compose_own, *running}:
            if cid not in trainer_mounts:
                trainer_mounts[cid] = mounts(stack, cid)
            volumes = [m["Source"] for m in trainer_mounts[cid] if m.get("Type") == "volume"]
            files = artifact_files(stack, cid, volumes)
            if files is not None:
                diffs[cid] = diffs.get(cid, 0) + 1
                found.setdefault(cid, []).extend(f for f in files if f not in found.get(cid, []))

    t0 = time.monotonic()
    body = {"name": "compose-s3", "dataset": {"uri": f"s3://{BUCKET}/{DATA_KEY}", "target": "target"},
            "metric": "roc_auc", "algorithms": ["logistic_regression", "random_forest"],
            "search": {"strategy": "random", "max_trials": TRIALS, "max_parallel": 4, "seed": 7}, "cv": {"folds": 3}}
    resp = httpx.post(f"{stack.url}/jobs", json=body, headers=AUTH, timeout=30)
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]

    def finished() -> dict[str, Any] | None:
        look()
        got = httpx.get(f"{stack.url}/jobs/{job_id}", headers=AUTH, timeout=10)
        assert got.status_code == 200, got.text
        job: dict[str, Any] = got.json()
        return job if job["status"] in ("completed", "failed", "cancelled", "rejected") else None

    job = wait_for("the job to finish", finished, 900, 1)
    stack.figures["job_wall_s"] = round(time.monotonic() - t0, 1)
    look()  # once more, for every trainer still there after the job's last trial
    assert job["status"] == "completed", job
    board = httpx.get(f"{stack.url}/jobs/{job_id}/leaderboard", headers=AUTH, timeout=10).json()
    ids = [i["trial_id"] for i in board["items"]]
    stack.figures.update(trials_requested=TRIALS, trials_completed=job["trials"]["completed"],
                         trials_duplicated=len(ids) - len(set(ids)), trials_lost=TRIALS - len(set(ids)))
    assert job["trials"]["completed"] == TRIALS == len(ids) == len(set(ids)), (job["trials"], len(ids))
    assert job["trials"]["failed"] == 0, job["trials"]

    # every trainer that started was seen and inspected by the engine while it existed
    started = {e["ID"] for e in trainer_events.of("start") if _ours(e)}
    stack.figures.update(trainers_seen=len(trainer_mounts), trainers_started=len(started),
                         scaled_trainers=len(trainer_mounts.keys() - compose_ids),
                         filesystem_reads=sorted(diffs.values()))
    assert started <= trainer_mounts.keys(), f"trainers never inspected: {started - trainer_mounts.keys()}"
    workers = {t["worker"].split("-")[0] for t in
               httpx.get(f"{stack.url}/jobs/{job_id}/trials", headers=AUTH, timeout=10).json()["items"]}
    stack.figures["trainers_that_ran_trials"] = len(workers)
    # a trainer's hostname is its container's short id: every trial ran in a container inspected here
    assert all(any(cid.startswith(w) for cid in trainer_mounts) for w in workers), (workers, list(trainer_mounts))

    model = httpx.get(f"{stack.url}/jobs/{job_id}/model", headers=AUTH, timeout=10)
    chosen = model.json() if model.status_code == 200 else {}
    winner = [u for u in (chosen.get("artifact_uri"), chosen.get("final_artifact_uri")) if u]
    keys = set(json.loads(as_operator(stack, LIST, BUCKET).strip().splitlines()[-1]))
    oof = [k for k in keys if k.startswith(f"{PREFIX}/artifacts/{job_id}/oof/")]
    stack.figures.update(bucket_objects=len(keys), oof_objects=len(oof))

    problems = []
    for cid, ms in trainer_mounts.items():
        for m in ms:
            if m["Source"] in shared:
                problems.append(f"trainer {cid[:12]} mounts {m['Source']} ({m['Destination']}), "
                                f"which the {shared[m['Source']]} mounts too")
    problems += [f"trainer {cid[:12]} has artifact files of its own: {files}" for cid, files in found.items() if files]
    if not winner:
        problems.append(f"no winner's artifact: {model.status_code} {model.text[:300]}")
    for uri in winner:
        key = uri.removeprefix(f"s3://{BUCKET}/")
        if not uri.startswith(ARTIFACTS + job_id + "/") or not {key, key + ".sig"} <= keys:
            problems.append(f"the winner {uri} and its signature are not in the bucket under {ARTIFACTS}")
    if not oof:
        problems.append(f"no out-of-fold predictions in the bucket under {ARTIFACTS}{job_id}/oof/")

    def health() -> dict[str, str]:
        return {s: stack.podman("inspect", "--format", "{{.State.Health.Status}}", stack.service_container(s)).strip()
                for s in ("planner", "selector", "scaler", "s3")}

    try:  # the engine runs each check as compose wrote it (podman's Docker API splits CMD arguments at spaces)
        wait_for("the services healthy per the engine", lambda: set(health().values()) == {"healthy"}, 60, 3)
    except AssertionError:
        problems.append(f"services not healthy per the engine's own checks: {health()}")
    assert not problems, "\n".join(problems)
