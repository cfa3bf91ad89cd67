"""The admin API's edge on its own: tokens refused at start-up, who may read, who may write, the body
bound for chunked bodies, and stored paths confined to their root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.testclient import TestClient

from services.planner import edge
from zygarde.errors import ConfigError
from zygarde.settings import Settings

ADMIN, READER = "admin-token-123", "reader-token-456"


def _app(read_token: str | None, max_body: int = edge.MAX_BODY_BYTES) -> FastAPI:
    app = FastAPI()
    require_admin = edge.admin_dependency(ADMIN)

    @app.get("/jobs")
    def jobs() -> list[str]:
        return ["j1"]

    @app.post("/jobs", dependencies=[Depends(require_admin)])
    async def submit(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    def metrics() -> str:
        return ""

    app.add_middleware(edge.Edge, admin_token=ADMIN, read_token=read_token, max_body=max_body)
    return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("token", ["", " ", "short", "       x"])
def test_an_empty_or_short_admin_token_is_refused_at_start_up(token: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ZYGARDE_ADMIN_TOKEN must be at least"):
        Settings(admin_token=token, home=tmp_path)
    with pytest.raises(edge.InsecureTokenError):
        edge.admin_dependency(token)
    with pytest.raises(edge.InsecureTokenError):
        edge.Edge(_app(None), admin_token=token, read_token=None)


def test_an_emptied_token_file_is_refused_not_served(tmp_path: Path) -> None:
    s = Settings(home=tmp_path)
    assert len(s.token()) >= 32 and (tmp_path / "admin-token").stat().st_mode & 0o777 == 0o600
    (tmp_path / "admin-token").write_text("\n")
    with pytest.raises(ConfigError, match="admin token"):
        s.token()


def test_generated_read_token_and_artifact_key_are_private_files(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZYGARDE_ARTIFACT_KEY", raising=False)  # the test session's shared key
    s = Settings(home=tmp_path)
    read, key = s.reader_token(), s.artifact_signing_key()
    assert read != s.token() and len(key) >= 32
    for name in ("read-token", "artifact-key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    assert Settings(home=tmp_path).reader_token() == read  # stable across processes


@pytest.fixture
def closed() -> Iterator[TestClient]:
    with TestClient(_app(READER)) as client:
        yield client


def test_reads_need_the_read_or_the_admin_token(closed: TestClient) -> None:
    assert closed.get("/jobs").status_code == 401
    assert closed.get("/jobs", headers={"Authorization": "Bearer "}).status_code == 401
    assert closed.get("/jobs", headers=bearer("wrong-token-0")).status_code == 401
    assert closed.get("/jobs", headers=bearer(READER)).json() == ["j1"]
    assert closed.get("/jobs", headers=bearer(ADMIN)).json() == ["j1"]
    assert closed.get("/healthz").status_code == 200 and closed.get("/metrics").status_code == 200


def test_writes_need_the_admin_token_not_the_read_token(closed: TestClient) -> None:
    assert closed.post("/jobs", content=b"{}", headers=bearer(READER)).status_code == 401
    assert closed.post("/jobs", content=b"{}", headers={"Authorization": "Bearer "}).status_code == 401
    assert closed.post("/jobs", content=b"{}", headers=bearer(ADMIN)).json() == {"bytes": 2}


def test_open_reads_when_the_operator_asks() -> None:
    with TestClient(_app(None)) as client:
        assert client.get("/jobs").json() == ["j1"]
        assert client.post("/jobs", content=b"{}").status_code == 401


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b" " * part


def test_a_chunked_body_over_the_limit_is_refused(closed: TestClient) -> None:
    over = closed.post("/jobs", content=_chunks(edge.MAX_BODY_BYTES + 1), headers=bearer(ADMIN))
    assert over.status_code == 413 and "over 1000000 bytes" in over.json()["detail"][0]
    under = closed.post("/jobs", content=_chunks(edge.MAX_BODY_BYTES), headers=bearer(ADMIN))
    assert under.status_code == 200 and under.json() == {"bytes": edge.MAX_BODY_BYTES}


def test_a_declared_length_over_the_limit_is_refused(closed: TestClient) -> None:
    resp = closed.post("/jobs", content=b" " * (edge.MAX_BODY_BYTES + 1), headers=bearer(ADMIN))
    assert resp.status_code == 413


def test_stored_paths_are_confined_to_their_root(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    (root / "job-1" / "report").mkdir(parents=True)
    report = root / "job-1" / "report" / "index.html"
    report.write_text("<html>ok</html>")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "job-1" / "link.html").symlink_to(tmp_path / "secret.txt")
    assert edge.confined(root, str(report)) == report.resolve()
    for stored in [str(tmp_path / "secret.txt"), f"{root}/job-1/../../secret.txt", str(root / "job-1" / "link.html"),
                   "/etc/passwd", str(root / "job-1" / "missing.html")]:
        with pytest.raises(HTTPException) as exc:
            edge.confined(root, stored)
        assert exc.value.status_code == 404
