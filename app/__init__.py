"""Lotse: a BPMN process orchestrator for municipal immigration management."""
from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import event, text

from app.clock import SystemClock
from app.config import DEFAULTS, from_environment, normalize_database_url
from app.deadlines.notifier import notifier_from_config
from app.extensions import db, migrate
from app.metrics import init_metrics


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; `config` overrides defaults and the environment (tests pass their own)."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("LOTSE_INSTANCE_PATH")
    app = Flask(__name__, instance_path=os.path.abspath(instance_path) if instance_path else None,
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(DEFAULTS)
    app.config.update(from_environment(app.instance_path))
    app.config.update(config or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    app.extensions["lotse_clock"] = app.config.get("CLOCK") or SystemClock()
    app.extensions["lotse_notifier"] = app.config.get("NOTIFIER") or notifier_from_config(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    _import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)
        from app import workflow_cache
        workflow_cache.configure(db.engine, int(app.config["WORKFLOW_CACHE_SIZE"]))

    from app.api import init_api
    init_api(app)
    from app.web import init_web
    init_web(app)
    _health(app)
    init_metrics(app)
    from app.audit.sealer import init_sealer
    init_sealer(app)
    if app.config["EMBEDDED_SCHEDULER"] and not app.config.get("TESTING"):
        _start_embedded_scheduler(app)
    return app


def _start_embedded_scheduler(app: Flask) -> None:
    """`make run`: one process serves web, API and the scheduler (SQLite's single scheduler)."""
    from app.scheduler.runner import build

    runner = build(app, blocking=False)
    runner.start()
    app.extensions["lotse_scheduler"] = runner


def _instance_secret(instance_path: str) -> str:
    """A per-installation secret kept in the instance folder, so sessions survive restarts."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
            handle.write(secrets.token_hex(32))
    with open(path) as handle:
        return handle.read().strip()


def _import_models() -> None:
    """Import every model module so metadata (and Alembic autogenerate) sees all tables."""
    from app.audit import models as _audit  # noqa: F401
    from app.casefile import models as _casefile  # noqa: F401
    from app.deadlines import models as _deadlines  # noqa: F401
    from app.definitions import models as _definitions  # noqa: F401
    from app.directory import models as _directory  # noqa: F401
    from app.forms import models as _forms  # noqa: F401
    from app.instances import models as _instances  # noqa: F401
    from app.tasks import models as _tasks  # noqa: F401


def _configure_sqlite(engine) -> None:
    """Real transactions on SQLite: our own BEGIN IMMEDIATE (writers queue instead of failing), WAL, FKs."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL never corrupts the database; only a power cut can lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        """Liveness: the process answers."""
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz():
        """Readiness: the database answers."""
        try:
            db.session.execute(text("SELECT 1"))
            db.session.rollback()
        except Exception as exc:  # noqa: BLE001 - any database failure means "not ready"
            db.session.rollback()
            return jsonify({"status": "unavailable", "error": type(exc).__name__}), 503
        return jsonify({"status": "ok"})
