"""Secrets: the admin and read tokens and the artifact key, each from its variable or else from a file the
first ``zygarde up`` generates under ``$ZYGARDE_HOME`` (mode 600); short or empty ones are refused."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from zygarde.errors import ConfigError

MIN_SECRET_CHARS = 8


def check_secret(name: str, value: str) -> None:
    """An empty or short token would let ``Authorization: Bearer `` (or a guess) in: refused at start-up."""
    if len(value.strip()) < MIN_SECRET_CHARS or value != value.strip():
        raise ValueError(f"{name} must be at least {MIN_SECRET_CHARS} characters without surrounding spaces "
                         "(unset it to use the one `zygarde up` generates)")


def secret_file(path: Path, what: str) -> str:
    """A generated secret in ``path`` (mode 600, created once); refused when it is empty or short."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # written whole under a private name, then linked into place: a process starting beside this one
        # reads either no file or the whole secret, never an empty one
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: read theirs
        finally:
            tmp.unlink()
    value = path.read_text().strip()
    try:
        check_secret(str(path), value)
    except ValueError as exc:
        raise ConfigError(f"{what}: {exc}") from exc
    return value



class _ArtifactKeySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZYGARDE_", extra="ignore")

    home: Path = Path(".zygarde")
    artifact_key: SecretStr | None = None


def artifact_key() -> bytes:
    """The key this process signs and verifies artifacts with: ``ZYGARDE_ARTIFACT_KEY``, else
    ``$ZYGARDE_HOME/artifact-key`` (generated once, mode 600), read alone so the artifact store needs no
    settings object passed down. Every service of one deployment must hold the same key."""
    own = _ArtifactKeySettings()
    if own.artifact_key is not None:
        value = own.artifact_key.get_secret_value()
        check_secret("ZYGARDE_ARTIFACT_KEY", value)
        return value.encode()
    return secret_file(own.home.expanduser().resolve() / "artifact-key", "the artifact key").encode()
