"""Compose's health checks as podman's Docker API runs them: podman 4.3 splits each argument of a `CMD` check
at its spaces (`python -c "import x; x.f()"` arrives as `python -c import x; x.f()`, a SyntaxError), so a check
whose argument holds a space never passes there, while Docker runs it as written. Every `CMD` argument must be
free of whitespace (a `CMD-SHELL` string is one shell line and is not split). The compose end-to-end tests see
the same on the engine (tests/compose/test_compose_s3.py asserts the services healthy)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
FILES = [ROOT / "docker-compose.yml", ROOT / "deploy" / "compose" / "s3.yml"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_cmd_health_checks_have_no_space_inside_an_argument(path: Path) -> None:
    services = yaml.safe_load(path.read_text())["services"]
    checked = 0
    for name, service in services.items():
        test = (service.get("healthcheck") or {}).get("test")
        if isinstance(test, list) and test and test[0] == "CMD":
            checked += 1
            spaced = [arg for arg in test[1:] if any(c.isspace() for c in arg)]
            assert not spaced, f"{path.name}: {name}'s health check arguments {spaced} hold spaces"
    assert checked, f"{path.name}: no CMD health check found"
