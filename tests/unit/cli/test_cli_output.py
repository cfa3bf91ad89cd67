"""The CLI as a person sees it in a plain 80-column terminal or a pipe: the real ``zygarde`` process
against a real HTTP server that answers like the planner (each answer set by the test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.e2e.conftest import free_port
from zygarde.cli.jobs import budget_state, trial_id_of, trial_number

JOB = "0123456789abcdef0123456789abcdef"
ALGOS = ["logistic_regression", "hist_gradient_boosting", "random_forest", "extra_trees", "knn"]


def board(n: int = 15) -> dict[str, Any]:
    items = [{"rank": i + 1, "trial_id": f"{JOB}-{i * 3:05d}", "algorithm": ALGOS[i % len(ALGOS)],
              "params": {"learning_rate": 0.0123456, "max_leaf_nodes": 31, "l2_regularization": 0.5,
                         "class_weight": "balanced", "min_samples_leaf": 20},
              "cv_mean": 0.9 - i / 100, "cv_std": 0.01, "fit_seconds": 1.25, "fold_scores": [0.9] * 5,
              "attempt": 1} for i in range(n)]
    return {"job_id": JOB, "metric": "roc_auc", "greater_is_better": True, "items": items}


JOB_VIEW = {"job_id": JOB, "name": "a-rather-long-job-name-for-the-table", "status": "running",
            "trials": {"requested": 3, "running": 2, "completed": 10, "failed": 1},
            "best": {"trial_id": f"{JOB}-00003", "algorithm": "knn", "params": {}, "score": 0.91},
            "budget": {"max_trials": 20}, "created_at": "2026-01-01T00:00:00+00:00", "reasons": []}


class Planner:
    """Answers ``(status, body)`` per ``METHOD path``; 404 with a reason otherwise."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, Any]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                status, body = outer.answers.get(f"{self.command} {self.path}",
                                                 (404, {"detail": [f"unknown path {self.path}"]}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def planner() -> Iterator[Planner]:
    fake = Planner()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def zygarde(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "LINES": "24", "ZYGARDE_PLANNER_URL": url,
           "ZYGARDE_ADMIN_TOKEN": "t" * 32, "TERM": "dumb"}
    return subprocess.run([sys.executable, "-m", "zygarde.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_leaderboard_fits_an_80_column_screen_with_no_name_broken(planner: Planner) -> None:
    planner.answers[f"GET /jobs/{JOB}/leaderboard"] = (200, board(15))
    out = zygarde(planner.url, "leaderboard", JOB)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.rstrip("\n").split("\n")
    assert len(lines) <= 24, out.stdout
    assert max(len(line) for line in lines) <= 80, out.stdout
    rows = [line.split() for line in lines if line.strip()[:2].strip().isdigit()]
    assert len(rows) == 15
    for i, row in enumerate(rows):  # rank, short trial number, the whole algorithm name
        assert row[:3] == [str(i + 1), str(i * 3), ALGOS[i % len(ALGOS)]], row
    assert all(line.rstrip().endswith("…") for line in lines if "learning_rate=0.0123" in line)
    wide = zygarde(planner.url, "leaderboard", JOB, "--wide")
    assert f"{JOB}-00042" in wide.stdout.replace("\n", "") and "min_samples_leaf=20" in wide.stdout


def test_a_short_trial_number_names_the_trial() -> None:
    assert trial_number(f"{JOB}-00042") == "42"
    assert trial_id_of(JOB, "42") == f"{JOB}-00042"
    assert trial_id_of(JOB, f"{JOB}-00042") == f"{JOB}-00042"


def test_algorithm_names_are_whole_at_80_columns() -> None:
    out = zygarde("http://127.0.0.1:9", "algorithms")
    assert out.returncode == 0, out.stderr
    assert any(line.split()[:1] == ["hist_gradient_boosting"] for line in out.stdout.splitlines()), out.stdout
    assert max(len(line) for line in out.stdout.splitlines()) <= 80


@pytest.mark.parametrize("args, path, body", [
    pytest.param(["jobs"], "/jobs", [JOB_VIEW], id="jobs"),
    pytest.param(["leaderboard", JOB], f"/jobs/{JOB}/leaderboard", board(3), id="leaderboard"),
    pytest.param(["models"], "/models", [{"name": "m", "latest_version": 2, "aliases": {"champion": 1}}],
                 id="models"),
    pytest.param(["models", "m"], "/models/m", {"name": "m", "aliases": {}, "versions": []}, id="versions"),
])
def test_every_list_command_pipes_as_one_json_document(planner: Planner, args: list[str], path: str,
                                                       body: Any) -> None:
    planner.answers[f"GET {path}"] = (200, body)
    out = zygarde(planner.url, *args, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == body


def test_algorithms_json_has_every_algorithm_and_its_space() -> None:
    out = zygarde("http://127.0.0.1:9", "algorithms", "--json")
    rows = json.loads(out.stdout)
    assert {"hist_gradient_boosting", "logistic_regression"} <= {r["name"] for r in rows}
    assert all(isinstance(r["space"], dict) and r["tasks"] for r in rows)


@pytest.mark.parametrize("status, code, fragment", [
    pytest.param(401, 5, "missing or wrong bearer token", id="401"),
    pytest.param(404, 4, "unknown job", id="404"),
    pytest.param(409, 6, "already completed", id="409"),
    pytest.param(503, 7, "store is unavailable", id="503"),
    pytest.param(500, 8, "boom", id="500"),
])
def test_http_errors_are_one_line_and_a_documented_exit_code(planner: Planner, status: int, code: int,
                                                             fragment: str) -> None:
    detail = {401: "missing or wrong bearer token", 404: f"unknown job {JOB}", 409: "job already completed",
              503: "the job store is unavailable", 500: "boom"}[status]
    planner.answers[f"POST /jobs/{JOB}/cancel"] = (status, {"detail": [detail]})
    out = zygarde(planner.url, "cancel", JOB)
    assert out.returncode == code
    assert len(out.stderr.strip().splitlines()) == 1 and fragment in out.stderr, out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_a_refused_spec_lists_every_reason(planner: Planner, tmp_path: Any) -> None:
    planner.answers["POST /jobs"] = (422, {"detail": ["metric: unknown metric 'x'", "dataset.target: missing"]})
    spec = tmp_path / "spec.json"
    spec.write_text("{}")
    out = zygarde(planner.url, "submit", str(spec))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "metric: unknown metric 'x'" in out.stderr and "dataset.target: missing" in out.stderr


@pytest.mark.parametrize("args", [["jobs"], ["cancel", JOB], ["models"], ["report", JOB]])
def test_an_unreachable_planner_is_one_line(args: list[str]) -> None:
    out = zygarde(f"http://127.0.0.1:{free_port()}", *args)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "cannot reach the planner" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_submit_shows_the_answer_and_its_warnings(planner: Planner, tmp_path: Any) -> None:
    planner.answers["POST /jobs"] = (202, {"job_id": JOB, "status": "queued", "task": "binary",
                                           "metric": "roc_auc", "warnings": ["dataset.target: 3 of 9 rows"]})
    spec = tmp_path / "spec.json"
    spec.write_text("{}")
    out = zygarde(planner.url, "submit", str(spec))
    assert out.returncode == 0 and JOB in out.stdout and "metric roc_auc" in out.stdout
    assert "warning: dataset.target: 3 of 9 rows" in out.stderr


def test_progress_against_the_budgets_with_an_eta() -> None:
    job = {**JOB_VIEW, "budget": {"max_trials": 20, "time_budget_s": 600, "seconds_used": 30.0}}
    text, share = budget_state(job, 30.0)
    assert share == pytest.approx(11 / 20)  # trials are the nearest budget: 11 of 20 done
    assert "trials 11/20" in text and "time 30/600s" in text and "best 0.9100 (knn)" in text
    assert "ETA 25s" in text  # 30 s for 55 %: 24.5 s more
    text, share = budget_state({**job, "status": "completed"}, 30.0)
    assert share == 1.0 and "ETA" not in text


def test_metrics_name_each_tasks_default() -> None:
    rows = json.loads(zygarde("http://127.0.0.1:9", "metrics", "--json").stdout)
    defaults = {task: r["name"] for r in rows for task in r["default_for"]}
    assert defaults == {"binary": "roc_auc", "multiclass": "logloss", "regression": "rmse"}
    table = zygarde("http://127.0.0.1:9", "metrics").stdout.splitlines()
    assert max(len(line) for line in table) <= 80
    assert any(line.split()[:4] == ["balanced_accuracy", "bin,multi", "high", "-"] for line in table), table


def test_the_jobs_table_fits_80_columns_and_a_short_id_names_the_job(planner: Planner) -> None:
    other = {**JOB_VIEW, "job_id": "0123456789ffffffffffffffffffffff", "status": "completed", "name": "x"}
    planner.answers["GET /jobs"] = (200, [JOB_VIEW, other])
    planner.answers["GET /jobs?limit=1000"] = (200, [JOB_VIEW, other])
    planner.answers[f"GET /jobs/{JOB}/leaderboard"] = (200, board(3))
    table = zygarde(planner.url, "jobs").stdout.splitlines()
    assert max(len(line) for line in table) <= 80, table
    rows = [line.split() for line in table if line.strip().startswith("0123456789")]
    assert [r[0] for r in rows] == [JOB[:12], other["job_id"][:12]] and rows[1][2] == "completed", rows
    assert rows[0][-1].endswith("d")  # the age column is there
    assert zygarde(planner.url, "leaderboard", "0123456789ab").returncode == 0  # unique prefix
    ambiguous = zygarde(planner.url, "leaderboard", "0123456789")
    assert ambiguous.returncode == 1 and "2 jobs start with '0123456789'" in ambiguous.stderr
    unknown = zygarde(planner.url, "cancel", "feed")
    assert unknown.returncode == 4 and "no job id starts with 'feed'" in unknown.stderr
