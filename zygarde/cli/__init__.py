"""The ``zygarde`` command line (typer + rich)."""

from zygarde.cli import jobs as _jobs  # noqa: F401  (registers the job commands on ``app``)
from zygarde.cli import models as _models  # noqa: F401  (registers the registry commands)
from zygarde.cli import optuna_export as _optuna_export  # noqa: F401  (export-optuna)
from zygarde.cli import top as _top  # noqa: F401
from zygarde.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
