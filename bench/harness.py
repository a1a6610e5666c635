"""Shared harness: an app on SQLite or a PostgreSQL schema, a seeded municipality, models, walking cases.

Everything goes through the services (`app.directory`, `app.definitions`, `app.instances`, `app.tasks`);
the harness commits after each operation, as a request or a scheduler job would.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple
from urllib.parse import quote

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
MODELS = Path(__file__).resolve().parent / "models"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
OFFICES = ("KIM-Case-Management", "Ausländerbehörde", "Sozialamt", "Jobcenter", "Kommunales Integrationszentrum")
# Answers that take the pathway through 10 of its 13 user tasks (no interpreter, employable).
PATHWAY_START = {"antragsteller_id": 4711, "familienname": "Beispiel", "dolmetscher": False, "erwerbsfaehig": True}
PATHWAY_ANSWERS = {"ut02": {"dolmetscher": False}, "ut07": {"erwerbsfaehig": True}}


@dataclass
class Config:
    """What a measure runs against: sizes (quick or full), a work folder, PostgreSQL if any."""

    quick: bool
    workdir: Path
    pg_url: str | None
    schema: str

    @property
    def has_pg(self) -> bool:
        """True when PostgreSQL measures can run."""
        return self.pg_url is not None

    def pg_subprocess_url(self) -> str:
        """A URL for servers and schedulers started as subprocesses: search_path in the connection options."""
        assert self.pg_url is not None
        separator = "&" if "?" in self.pg_url else "?"
        return f"{self.pg_url}{separator}options={quote(f'-csearch_path={self.schema}')}"


def answer(element_id: str) -> dict[str, Any]:
    """The form data a clerk submits for a pathway task."""
    return {"vermerk": f"{element_id} erledigt", **PATHWAY_ANSWERS.get(element_id, {})}


def parse_config(description: str, argv: list[str] | None = None) -> tuple[Config, argparse.Namespace]:
    """Command-line options shared by every measure script."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds), for the test suite")
    parser.add_argument("--json", dest="json_path", help="write the result here (default: stdout)")
    parser.add_argument("--workdir", help="scratch folder (default: a new temp folder)")
    parser.add_argument("--pg-url", default=os.environ.get("LOTSE_BENCH_DATABASE_URL", DEFAULT_PG_URL))
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL parts")
    parser.add_argument("--schema", default=None, help="PostgreSQL schema (default lotse_bench / lotse_bench_quick)")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="lotse-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    pg_url = None if args.no_postgres else _normalize_pg(args.pg_url)
    schema = args.schema or ("lotse_bench_quick" if args.quick else "lotse_bench")
    return Config(quick=args.quick, workdir=workdir, pg_url=pg_url, schema=schema), args


def _normalize_pg(url: str | None) -> str | None:
    if not url:
        return None
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def main(run: Callable[[Config], dict[str, Any]], description: str) -> None:
    """Entry point of a measure script: run it and write {"metrics", "notes", "artifacts", "seconds"} as JSON."""
    cfg, args = parse_config(description)
    started = time.perf_counter()
    try:
        result = run(cfg)
        result["ok"] = True
    except Exception as exc:  # noqa: BLE001 - report the failure as data; the runner decides what to do
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        traceback.print_exc()
    result["seconds"] = round(time.perf_counter() - started, 1)
    payload = json.dumps(result, indent=2, default=str)
    if args.json_path:
        Path(args.json_path).write_text(payload)
    else:
        print(payload)
    sys.exit(0 if result["ok"] else 1)


def reset_pg_schema(cfg: Config) -> None:
    """Drop and recreate the benchmark schema."""
    engine = create_engine(cfg.pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {cfg.schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {cfg.schema}"))
    finally:
        engine.dispose()


def make_app(cfg: Config, backend: str, name: str = "main"):
    """A migrated app on a fresh database: SQLite file in the work folder, or the reset PostgreSQL schema."""
    from flask_migrate import upgrade

    from app import create_app

    instance = cfg.workdir / f"instance-{backend}-{name}"
    instance.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"INSTANCE_PATH": str(instance), "SECRET_KEY": "lotse-bench", "EMBEDDED_SCHEDULER": False}
    if backend == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'lotse.sqlite3'}"
    else:
        reset_pg_schema(cfg)
        config["SQLALCHEMY_DATABASE_URI"] = cfg.pg_url
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": f"-csearch_path={cfg.schema}"}}
    application = create_app(config)
    with application.app_context():
        upgrade()
    return application


def server_env(cfg: Config, app) -> dict[str, str]:
    """Environment for a gunicorn or scheduler subprocess on the same database as `app`."""
    env = dict(os.environ)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    env["LOTSE_DATABASE_URL"] = uri if uri.startswith("sqlite") else cfg.pg_subprocess_url()
    env["LOTSE_INSTANCE_PATH"] = app.instance_path
    env["LOTSE_SECRET_KEY"] = "lotse-bench"
    env["LOTSE_EMBEDDED_SCHEDULER"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@dataclass
class World:
    """A seeded municipality: ids, principals by office and role, tokens."""

    municipality_id: int
    slug: str
    office_ids: dict[str, int] = field(default_factory=dict)
    clerks: dict[str, Any] = field(default_factory=dict)        # office name -> Principal
    clerk_names: dict[str, str] = field(default_factory=dict)   # office name -> username
    by_office_id: dict[int, Any] = field(default_factory=dict)  # office id -> clerk Principal
    designer: Any = None
    admin: Any = None
    supervisor: Any = None
    tokens: dict[str, str] = field(default_factory=dict)        # username -> bearer token


def seed_world(session, clock, slug: str = "bench", offices: tuple[str, ...] = OFFICES, tokens: bool = False) -> World:
    """A municipality with the offices, one clerk per office, a designer, an admin and a supervisor."""
    from app.directory import service as directory
    from app.directory.models import User

    town = directory.create_municipality(session, slug=slug, name=f"Stadt {slug}", clock=clock)
    world = World(municipality_id=town.id, slug=slug)
    for index, office_name in enumerate(offices):
        office = directory.create_office(session, municipality=town, name=office_name)
        world.office_ids[office_name] = office.id
        username = f"{slug}.clerk{index}"
        directory.create_user(session, municipality=town, username=username, role="clerk",
                              office_name=office_name, clock=clock)
        world.clerk_names[office_name] = username
    for role in ("designer", "admin", "supervisor"):
        directory.create_user(session, municipality=town, username=f"{slug}.{role}", role=role, clock=clock)
    session.commit()
    users = {u.username: u for u in session.query(User).filter(User.municipality_id == town.id)}
    for office_name, username in world.clerk_names.items():
        world.clerks[office_name] = directory.principal_for(session, users[username])
        world.by_office_id[world.office_ids[office_name]] = world.clerks[office_name]
    world.designer = directory.principal_for(session, users[f"{slug}.designer"])
    world.admin = directory.principal_for(session, users[f"{slug}.admin"])
    world.supervisor = directory.principal_for(session, users[f"{slug}.supervisor"])
    if tokens:
        for username in [*world.clerk_names.values(), f"{slug}.supervisor", f"{slug}.admin"]:
            world.tokens[username] = directory.create_token(session, username=username, clock=clock, name="bench")
    session.commit()
    return world


class PathwayApp:
    """A migrated app on one database with a seeded municipality and the pathway model deployed."""

    def __init__(self, cfg: Config, backend: str, name: str):
        from app.extensions import db

        self.app = make_app(cfg, backend, name)
        self.clock = system_clock()
        self.session = db.session
        with self.app.app_context():
            self.world = seed_world(db.session, self.clock)
            deploy_model(db.session, self.world, "pathway12.bpmn", self.clock)
        self.count = 0

    def close(self) -> None:
        """Close the app's connections."""
        dispose(self.app)


def deploy_model(session, world: World, filename: str, clock) -> Any:
    """Deploy a model from bench/models as the designer; returns the definition."""
    from app.definitions.service import deploy

    definition, _created = deploy(session, actor=world.designer, data=(MODELS / filename).read_bytes(), clock=clock)
    session.commit()
    return definition


class TaskRef(NamedTuple):
    """What a client knows of an open task: its id, office and element."""

    id: int
    office_id: int | None
    element_id: str


def start_case(session, world: World, process_key: str, business_key: str, data: dict[str, Any], clock) -> int:
    """Start a case as the KIM case manager (first office); commit and end the session like a request. Its id."""
    from app.instances.service import start_instance

    starter = world.clerks[next(iter(world.clerks))]
    instance = start_instance(session, actor=starter, process_key=process_key, business_key=business_key,
                              data=data, clock=clock)
    session.commit()
    instance_id = instance.id
    session.remove()
    return instance_id


def open_tasks(session, world: World, instance_id: int) -> list[TaskRef]:
    """The open tasks of one case, as its supervisor's inbox query shows them."""
    from app.tasks.service import list_tasks

    rows, _total = list_tasks(session, actor=world.supervisor, now=_now(), instance_id=instance_id, limit=50)
    return [TaskRef(row.id, row.office_id, row.element_id) for row in rows]


def complete(session, world: World, task: TaskRef, data: dict[str, Any], clock) -> None:
    """Complete a task as the clerk of its office; commit and end the session (one request's unit of work)."""
    from app.tasks.service import complete as complete_task

    complete_task(session, actor=world.by_office_id[task.office_id], task_id=task.id, data=data, clock=clock)
    session.commit()
    session.remove()


def walk_pathway(session, world: World, business_key: str, clock) -> int:
    """Start a pathway case and complete every task until it ends (bounded); returns the case's id."""
    from app.instances.models import ProcessInstance

    instance_id = start_case(session, world, "bench_pathway", business_key, dict(PATHWAY_START), clock)
    for _ in range(50):
        tasks = open_tasks(session, world, instance_id)
        if not tasks:
            break
        for task in tasks:
            complete(session, world, task, answer(task.element_id), clock)
    status = session.get(ProcessInstance, instance_id).status
    session.remove()
    if status != "completed":
        raise RuntimeError(f"pathway case {business_key} did not finish: {status}")
    return instance_id


def state_json(state: str) -> str:
    """The engine state as JSON text, whatever encoding the app stores it in (plain or compressed)."""
    from app.engine import runtime

    decode = getattr(runtime, "state_document", None)
    return runtime.dumps(decode(state)) if decode else state


def encode_like(template_state: str, document: str) -> str:
    """Store JSON text the way the app stored the template state (compressed when it was)."""
    from app.engine import runtime

    prefix = getattr(runtime, "STATE_PREFIX", None)
    if prefix and template_state.startswith(prefix):
        return runtime.encode_state(document)
    return document


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def system_clock():
    """The real clock: benchmarks run in real time."""
    from app.clock import SystemClock

    return SystemClock()


def dispose(app) -> None:
    """Close the app's sessions and connections."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
