"""The ``zygarde`` command line (typer + rich)."""

import sys

from zygarde import stop_signal

# `zygarde run trainer|selector` takes a stop asked for while it starts: caught here, before the
# commands below import their libraries (seconds on a busy host, during which a SIGTERM would kill
# the process, or, as PID 1 in a container, be dropped); the consumer loop honours it later.
if sys.argv[1:2] == ["run"] and sys.argv[2:3] in (["trainer"], ["selector"]):
    stop_signal.catch()

# `zygarde run <service>` (what compose, Kubernetes and the scalers start) goes straight to the service
# without the commands below: they import the ML libraries and the HTTP client before anything else,
# while a trainer joins its consumer group as those libraries load (services/trainer/__main__.py).
SERVICES = ("planner", "trainer", "selector", "scaler")
_SERVICE = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "run" and sys.argv[2] in SERVICES else None

if _SERVICE is None:
    from zygarde.cli import jobs as _jobs  # noqa: F401  (registers the job commands on ``app``)

    # isort: split
    # --help lists the commands in the order they register: the catalog's after the job commands
    from zygarde.cli import catalog as _catalog  # noqa: F401  (algorithms, metrics)
    from zygarde.cli import models as _models  # noqa: F401  (registers the registry commands)
    from zygarde.cli import optuna_export as _optuna_export  # noqa: F401  (export-optuna)
    from zygarde.cli import top as _top  # noqa: F401
    from zygarde.cli import trials as _trials  # noqa: F401  (job, trials)
    from zygarde.cli.app import app


def main() -> None:
    if _SERVICE is not None:
        import importlib

        importlib.import_module(f"services.{_SERVICE}.__main__").main()
        return
    app()


__all__ = ["app", "main"]
