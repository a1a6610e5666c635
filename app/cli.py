"""The `lotse` command: Flask's CLI (run, routes, db ...) plus Lotse's own commands."""
from __future__ import annotations

import contextlib
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from app import create_app
from app.audit.cli import audit as audit_group
from app.audit.cli import privacy as privacy_group
from app.casefile.records import records_command
from app.cli_support import unit_of_work
from app.deadlines.coverage import clocks_command
from app.definitions.describe import describe_command
from app.directory import service as directory
from app.directory.models import User
from app.directory.sessions import password_problems, set_password
from app.errors import DomainError
from app.extensions import db


def _clock():
    return current_app.extensions["lotse_clock"]


@click.group(cls=FlaskGroup, create_app=create_app)
def cli() -> None:
    """Lotse — BPMN orchestration for municipal integration management."""


@cli.group()
def municipality() -> None:
    """Municipalities (tenants)."""


@municipality.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name, e.g. 'Stadt Musterstadt'.")
@unit_of_work
def municipality_create(slug: str, name: str) -> None:
    """Create a municipality."""
    directory.create_municipality(db.session(), slug=slug, name=name, clock=_clock())
    click.echo(f"created municipality {slug}")


@municipality.command("configure")
@click.argument("slug")
@click.option("--coordination-office", default=None, help="Office that receives second-level escalations.")
@click.option("--second-escalation-after", default=None, help="ISO 8601 period after the first escalation, e.g. P5D.")
@unit_of_work
def municipality_configure(slug: str, coordination_office: str | None, second_escalation_after: str | None) -> None:
    """Configure the second escalation level of a municipality."""
    from app.deadlines.service import validate_escalation_settings

    town = directory.get_municipality(db.session(), slug)
    validate_escalation_settings(second_escalation_after)
    if coordination_office:
        office_row = directory.find_office(db.session(), town.id, coordination_office)
        if office_row is None:
            raise DomainError(f"office '{coordination_office}' not found in '{slug}'")
        town.coordination_office_id = office_row.id
    if second_escalation_after:
        town.second_escalation_after = second_escalation_after
    click.echo(f"{slug}: second escalation after {town.second_escalation_after or '—'} "
               f"to office id {town.coordination_office_id or '—'}")


@cli.group()
def office() -> None:
    """Offices of a municipality."""


@office.command("create")
@click.argument("slug")
@click.argument("name")
@unit_of_work
def office_create(slug: str, name: str) -> None:
    """Create office NAME in municipality SLUG (NAME is what BPMN lanes refer to)."""
    directory.create_office(db.session(), municipality=directory.get_municipality(db.session(), slug), name=name)
    click.echo(f"created office {name}")


@office.command("list")
@click.argument("slug")
@unit_of_work
def office_list(slug: str) -> None:
    """List the offices of municipality SLUG, one name a line."""
    for item in directory.list_offices(db.session(), directory.get_municipality(db.session(), slug).id):
        click.echo(item.name)


@cli.group()
def user() -> None:
    """Users and their roles."""


@user.command("create")
@click.argument("username")
@click.option("--municipality", "municipality_slug", required=True)
@click.option("--office", "office_name", default=None, help="Office name (needed for clerk and lead).")
@click.option("--role", required=True, type=click.Choice(["clerk", "lead", "supervisor", "designer", "admin"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--name", "display_name", default="", help="Display name.")
@unit_of_work
def user_create(username: str, municipality_slug: str, office_name: str | None, role: str, password_stdin: bool,
                display_name: str) -> None:
    """Create a user with a role."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        problems = password_problems(password, username)
        if problems:
            raise click.ClickException("the password does not meet the rules: " + "; ".join(problems))
    directory.create_user(db.session(), municipality=directory.get_municipality(db.session(), municipality_slug),
                          username=username, role=role, office_name=office_name, password=password,
                          display_name=display_name, clock=_clock())
    click.echo(f"created user {username} ({role})")


@user.command("set-password")
@click.argument("username")
@unit_of_work
def user_set_password(username: str) -> None:
    """Set a local password read from standard input (docs/auth.md rules); ends the user's web sessions."""
    account = db.session.scalar(select(User).where(User.username == username))
    if account is None:
        raise click.ClickException(f"user '{username}' not found")
    ended = set_password(db.session(), user=account, new_password=sys.stdin.readline().rstrip("\n"),
                         now=_clock().now(), actor=f"cli:{username}")
    click.echo(f"password of {username} changed; {ended} web session(s) ended")


@cli.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for.")
@unit_of_work
def token_create(username: str, name: str) -> None:
    """Create a bearer token for USERNAME; the token is the last line printed."""
    value = directory.create_token(db.session(), username=username, clock=_clock(), name=name)
    click.echo(f"token for {username} (shown once, store it safely):")
    click.echo(value)


@cli.command("demo")
@click.option("--municipality", "slug", default="musterstadt", show_default=True)
@unit_of_work
def demo(slug: str) -> None:
    """Seed a demo municipality with offices, users, models and cases (idempotent)."""
    from app.demo import seed

    for line in seed(db.session(), slug=slug, clock=_clock()):
        click.echo(line)


@cli.command("scheduler")
@click.option("--tick", type=float, default=None,
              help="Seconds between ticks (default: LOTSE_SCHEDULER_TICK_SECONDS or 1).")
@click.option("--metrics-port", type=int, default=None,
              help="Serve this process's Prometheus metrics on 127.0.0.1:PORT.")
@click.option("--exit-when-idle", is_flag=True, help="Fire what is due, then exit (batch runs and tests).")
@with_appcontext
def scheduler(tick: float | None, metrics_port: int | None, exit_when_idle: bool) -> None:
    """Run the timer scheduler in the foreground (start several on PostgreSQL)."""
    import logging

    from app.scheduler.runner import SchedulerRefused, build, drain

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as Flask
    if tick:
        app.config["SCHEDULER_TICK_SECONDS"] = tick
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The engine logs every task state change at INFO and APScheduler every tick; the audit trail and our
    # own summary lines say what happened, so keep only their warnings.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    try:
        runner = build(app, blocking=True)
    except SchedulerRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if metrics_port:
        from prometheus_client import start_http_server

        from app.metrics import process_registry

        start_http_server(metrics_port, addr="127.0.0.1", registry=process_registry())
    if exit_when_idle:
        click.echo(f"fired timers of {drain(app)} instance(s)")
        return
    click.echo(f"Lotse scheduler ticking every {app.config['SCHEDULER_TICK_SECONDS']} s (Ctrl+C to stop)")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):  # Ctrl+C ends the scheduler quietly
        runner.start()

cli.add_command(audit_group)
cli.add_command(privacy_group)

cli.add_command(describe_command)
cli.add_command(clocks_command)
cli.add_command(records_command)

from flask_migrate.cli import db as migrate_db  # noqa: E402 - `lotse db …` is Flask-Migrate's group

from app.audit.roles import create_roles  # noqa: E402

migrate_db.add_command(create_roles)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="lotse")
