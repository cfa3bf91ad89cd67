"""`zygarde run trainer` starts its consumer (which joins the group in the client's own threads) before the
ML libraries load, and the command line's own commands (and their imports) stay out of a service's start.

In a fresh interpreter each: the test process has scikit-learn loaded already."""

from __future__ import annotations

import json
import subprocess
import sys

from zygarde.settings import REPO_ROOT

SCRIPT = r'''
import json, sys
from unittest import mock
sys.argv = ["zygarde", "run", "trainer"]
import zygarde.cli
seen = {"cli": sorted(m for m in ("sklearn", "typer", "rich", "httpx") if m in sys.modules)}
import services.trainer.__main__ as main

class Stop(Exception):
    pass

class Consumer:
    def __init__(self, *args, **kwargs):
        seen["sklearn_at_consumer"] = "sklearn" in sys.modules
    def install_signal_handlers(self):
        pass
    def run(self, handler):
        seen["sklearn_at_run"] = "sklearn" in sys.modules
        raise Stop
    def close(self):
        seen["closed"] = True

main.EventConsumer, main.EventProducer, main.connect = Consumer, mock.MagicMock(), mock.MagicMock()
try:
    zygarde.cli.main()
except Stop:
    pass
print(json.dumps(seen))
'''


def test_the_trainer_joins_before_the_ml_libraries_load() -> None:
    env = {"PATH": "/usr/bin:/bin", "ZYGARDE_TRAINER_METRICS_PORT": "0", "HOME": str(REPO_ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["cli"] == [], f"`zygarde run trainer` imported the command line's libraries: {seen['cli']}"
    assert seen["sklearn_at_consumer"] is False, "the consumer was made only after scikit-learn had loaded"
    assert seen["sklearn_at_run"] is True and "closed" not in seen, seen
