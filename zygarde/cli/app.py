"""Commands: the local stack, services, jobs, and tooling. Job commands live in ``jobs.py``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from zygarde import settings as settings_mod
from zygarde.errors import StackError

if TYPE_CHECKING:  # the stack's modules load on the commands that use them
    from zygarde.localstack.stack import ComponentStatus

app = typer.Typer(help="Zygarde: train machine-learning models on demand.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console()
err = Console(stderr=True)


def _settings() -> settings_mod.Settings:
    return settings_mod.load()


@app.command()
def up(
    only: str = typer.Option("", help="comma-separated subset: kafka,mongo,prometheus"),
    services: bool = typer.Option(True, help="also start planner, selector and trainers"),
    trainers: int = typer.Option(2, help="most trainers the scaler may run (or fixed trainers with --no-scaler)"),
    scaler: bool = typer.Option(True, help="trainers on demand through the scaler"),
) -> None:
    """Start the local stack (idempotent: what runs is reused, not restarted)."""
    s = _settings()
    started = time.monotonic()
    try:
        rows = settings_mod_up(s, only, services and not only, trainers, scaler)
    except StackError as exc:
        err.print(f"[red]✗ {exc.component}[/red]: {exc.reason}" + (f"\n  log: {exc.log}" if exc.log else ""))
        raise typer.Exit(1) from exc
    table = Table(title=f"Zygarde local stack ({time.monotonic() - started:.1f}s)")
    for col in ("component", "state", "address", "pid", "log"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.name, r.action, r.address, str(r.pid or "-"), r.log)
    console.print(table)


def settings_mod_up(s: settings_mod.Settings, only: str, with_services: bool, trainers: int,
                    scaler: bool = True) -> list[ComponentStatus]:
    from zygarde.localstack import stack

    names = [n.strip() for n in only.split(",") if n.strip()] or None
    return stack.up(s, names, with_services=with_services, trainers=trainers, scaler=scaler)


@app.command()
def down(purge: bool = typer.Option(False, help="also delete the stack's data")) -> None:
    """Stop the processes `up` started (and only those)."""
    from zygarde.localstack import stack

    stopped = stack.down(_settings(), purge=purge)
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}" + (" (data purged)" if purge else ""))


@app.command()
def status() -> None:
    """Show each component up or down."""
    from zygarde.localstack import stack

    table = Table(title="Zygarde local stack")
    for col in ("component", "state", "address", "pid"):
        table.add_column(col)
    any_down = False
    for r in stack.status(_settings()):
        any_down |= not r.up
        table.add_row(r.name, "[green]up[/green]" if r.up else "[red]down[/red]", r.address, str(r.pid or "-"))
    console.print(table)
    if any_down:
        raise typer.Exit(3)


@app.command()
def topics(action: str = typer.Argument("create", help="create")) -> None:
    """Create every declared topic with its partitions (idempotent)."""
    from zygarde import topics as topics_mod
    from zygarde.bus import BusAdmin

    s = _settings()
    created = BusAdmin(s.kafka_bootstrap, s.topic_prefix).ensure_topics(topics_mod.ALL)
    console.print(f"created: {', '.join(created) or 'none (all existed)'}")


@app.command("kafka-principals")
def kafka_principals(passwords: Path = typer.Option(..., help="folder with <principal>/password for each service "
                                                    "principal (their Secrets, in Kubernetes), or "
                                                    "<principal>/client.properties (compose's secrets)")) -> None:
    """As the admin (the client settings ZYGARDE_KAFKA_CLIENT_PROPERTIES names): each service principal's
    SCRAM credential and its ACLs on this prefix's topics and groups (idempotent)."""
    from zygarde.localstack import kafka_auth

    def password(principal: str) -> str:
        plain = passwords / principal / "password"
        if plain.is_file():
            return plain.read_text().strip()
        client = passwords / principal / "client.properties"
        value = settings_mod.read_properties(client).get("sasl.password", "") if client.is_file() else ""
        if not value:
            err.print(f"no password for {principal}: neither {plain} nor a sasl.password in {client}")
            raise typer.Exit(2)
        return value

    s = _settings()
    creds = {p: password(p) for p in settings_mod.KAFKA_PRINCIPALS}
    kafka_auth.grant_principals(s, settings_mod.kafka_client_conf(None), creds)
    console.print(f"principals and ACLs: {', '.join(settings_mod.KAFKA_PRINCIPALS)}")


@app.command()
def schemas(out: Path = typer.Option(Path("schemas"), help="folder to write into")) -> None:
    """Write one JSON Schema per message type."""
    from services.planner.strategies import STRATEGIES  # the strategy names come from their registry
    from zygarde.events import json_schemas

    out.mkdir(parents=True, exist_ok=True)
    written = json_schemas(list(STRATEGIES))
    for name, schema in written.items():
        (out / f"{name}.schema.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    console.print(f"wrote {len(written)} schemas to {out}/")


@app.command()
def run(service: str = typer.Argument(..., help="planner | trainer | selector | scaler")) -> None:
    """Run one service in the foreground (what processes, compose and Kubernetes all call)."""
    import importlib

    if service not in ("planner", "trainer", "selector", "scaler"):
        err.print(f"unknown service {service!r}")
        raise typer.Exit(2)
    # a trainer's or selector's stop asked for while it starts is caught in zygarde.cli's package import
    module = importlib.import_module(f"services.{service}.__main__")
    module.main()
