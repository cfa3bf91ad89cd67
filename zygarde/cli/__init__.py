"""The ``zygarde`` command line (typer + rich)."""

from zygarde.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
