"""Installs TypeScript and @grafana/schema (versions pinned by package-lock.json) under
``.cache/grafana-typecheck`` and writes each dashboard there as a typed TypeScript constant, so
``tsc`` checks the JSON against Grafana's own dashboard types. ``make install`` and
tests/contract/test_dashboards_schema.py run it; ``npm ci`` runs again only when the lock changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CACHE = ROOT / ".cache" / "grafana-typecheck"
PINNED = ("package.json", "package-lock.json")


def install() -> Path:
    """The folder with node_modules, installed if the lock file changed since the last install."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to type-check the dashboards (apt-get install npm)")
    CACHE.mkdir(parents=True, exist_ok=True)
    stamp = CACHE / "node_modules" / ".zygarde-lock"
    lock = (HERE / "package-lock.json").read_text()
    if not stamp.exists() or stamp.read_text() != lock:
        for name in PINNED:
            shutil.copy2(HERE / name, CACHE / name)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CACHE, check=True, timeout=600)
        stamp.write_text(lock)
    return CACHE


def write_checks(dashboards: dict[str, dict], into: Path) -> list[Path]:
    """One ``<name>.ts`` per dashboard (its JSON as a ``ZygardeDashboard`` literal) and the tsconfig."""
    into.mkdir(parents=True, exist_ok=True)
    for name in ("zygarde.ts", "tsconfig.json"):
        shutil.copy2(HERE / name, into / name)
    files = []
    for name, board in dashboards.items():
        path = into / f"{Path(name).stem.replace('-', '_')}.ts"
        path.write_text("import type { ZygardeDashboard } from './zygarde';\n\n"
                        f"export const dashboard: ZygardeDashboard = {json.dumps(board, indent=2)};\n")
        files.append(path)
    config = json.loads((into / "tsconfig.json").read_text())
    config["files"] = [p.name for p in files]
    (into / "tsconfig.json").write_text(json.dumps(config, indent=2))
    return files


def tsc(folder: Path) -> subprocess.CompletedProcess[str]:
    """``tsc -p folder`` with the installed TypeScript."""
    exe = install() / "node_modules" / ".bin" / "tsc"
    return subprocess.run([str(exe), "-p", str(folder)], capture_output=True, text=True, timeout=300)


if __name__ == "__main__":
    print(f"TypeScript and @grafana/schema ready in {install()}")
    sys.exit(0)
