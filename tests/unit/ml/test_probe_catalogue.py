"""The probe algorithms (``noop``, ``burn``) are out of the production catalogue unless the operator
enables them: a fresh process without the setting neither lists nor accepts them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zygarde.settings import REPO_ROOT

PROBE = """
import json, sys
from pathlib import Path
from zygarde.errors import SpecError
from zygarde.ml import algorithms
from zygarde.ml.validation import check_job
spec = {"dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc", "algorithms": ["noop"]}
try:
    check_job(spec, [], Path(sys.argv[1]))
    refused = []
except SpecError as exc:
    refused = exc.reasons
print(json.dumps({"names": algorithms.names(), "refused": refused}))
"""


def catalogue(setting: str | None, cache: Path) -> dict[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if k != "ZYGARDE_PROBE_ALGORITHMS"}
    if setting is not None:
        env["ZYGARDE_PROBE_ALGORITHMS"] = setting
    out = subprocess.run([sys.executable, "-c", PROBE, str(cache)], env=env, cwd=REPO_ROOT, capture_output=True,
                         text=True, check=True, timeout=120)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("setting", [None, "0", "false"])
def test_probes_are_out_of_the_catalogue_by_default(setting: str | None, tmp_path: Path) -> None:
    found = catalogue(setting, tmp_path)
    assert "noop" not in found["names"] and "burn" not in found["names"] and "ridge" in found["names"]
    assert any("unknown algorithm 'noop'" in r for r in found["refused"]), found["refused"]


def test_the_setting_puts_them_back(tmp_path: Path) -> None:
    found = catalogue("1", tmp_path)
    assert {"noop", "burn"} <= set(found["names"])
    assert not any("unknown algorithm" in r for r in found["refused"]), found["refused"]
