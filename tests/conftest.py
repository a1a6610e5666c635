"""Shared fixtures: the app on each database backend, a fake clock, an API client with tokens.

Every DB test runs on SQLite and, when LOTSE_TEST_DATABASE_URL is set, on PostgreSQL. With
LOTSE_REQUIRE_POSTGRES=1 (CI) a missing PostgreSQL is an error, not a skip.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.clock import FakeClock



def _find_shared() -> Path | None:
    """The project's shared folder (../shared beside the checkout; walk up so worktrees find it too)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "conformance").is_dir():
            return parent / "shared"
    return None


SHARED_FOUND = _find_shared()
# Tests that read the shared material skip when it is absent (a fresh clone); CI requires it.
SHARED = SHARED_FOUND or Path("/nonexistent/shared")
needs_shared = pytest.mark.skipif(SHARED_FOUND is None, reason="../shared (conformance material) not found beside "
                                  "the checkout; CI requires it (LOTSE_REQUIRE_SHARED=1)")
# One schema per test run, so parallel runs on the same database do not wipe each other.
PG_SCHEMA = f"lotse_test_{os.getpid()}"
START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)  # a Monday morning


def pytest_configure(config):
    """Fail early in CI when PostgreSQL or the shared conformance material is required but missing."""
    if os.environ.get("LOTSE_REQUIRE_POSTGRES") == "1" and not os.environ.get("LOTSE_TEST_DATABASE_URL"):
        raise pytest.UsageError("LOTSE_REQUIRE_POSTGRES=1 but LOTSE_TEST_DATABASE_URL is not set")
    if os.environ.get("LOTSE_REQUIRE_SHARED") == "1" and SHARED_FOUND is None:
        raise pytest.UsageError("LOTSE_REQUIRE_SHARED=1 but no ../shared/conformance beside the checkout")
    _travel_if_asked()


def _travel_if_asked() -> None:
    """LOTSE_TEST_DAYS_AHEAD=N runs the whole suite with the system date N days ahead (time-machine).

    This proves that no test depends on today's date: CI runs the suite once ten years ahead.
    """
    days = os.environ.get("LOTSE_TEST_DAYS_AHEAD")
    if not days:
        return
    import time_machine

    target = datetime.now(timezone.utc) + timedelta(days=int(days))
    time_machine.travel(target, tick=True).start()


def _pg_url() -> str | None:
    url = os.environ.get("LOTSE_TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _prepare_pg(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    finally:
        engine.dispose()
    return {"connect_args": {"options": f"-csearch_path={PG_SCHEMA}"}}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request):
    """The database backend of this run of the test."""
    if request.param == "postgresql" and not _pg_url():
        if os.environ.get("LOTSE_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL required but LOTSE_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured (set LOTSE_TEST_DATABASE_URL)")
    return request.param


@pytest.fixture(scope="session")
def app(backend, tmp_path_factory):
    """The app on a freshly migrated database of the backend."""
    from flask_migrate import upgrade

    from app import create_app

    instance = tmp_path_factory.mktemp(f"instance-{backend}")
    config = {"TESTING": True, "INSTANCE_PATH": str(instance), "CLOCK": FakeClock(START)}
    if backend == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'test.sqlite3'}"
    else:
        config["SQLALCHEMY_DATABASE_URI"] = _pg_url()
        config["SQLALCHEMY_ENGINE_OPTIONS"] = _prepare_pg(_pg_url())
    application = create_app(config)
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        from app.extensions import db
        db.session.remove()
        db.engine.dispose()
    if backend == "postgresql":
        engine = create_engine(_pg_url())
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        engine.dispose()


@pytest.fixture
def clock(app):
    """The app's fake clock, back at the start for every test."""
    fake = app.extensions["lotse_clock"]
    fake.set(START)
    return fake


@pytest.fixture
def session(app, clock):
    """A database session inside an app context; all rows are removed after the test."""
    from app.extensions import db

    ctx = app.app_context()
    ctx.push()
    yield db.session
    db.session.rollback()
    _wipe(db)
    db.session.remove()
    ctx.pop()


def _wipe(db) -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # past the audit TRUNCATE guard
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))  # municipality <-> office refer to each other
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def client(app, session):
    """A Flask test client (database wiped after the test)."""
    return app.test_client()


@pytest.fixture
def world(session, clock):
    """A municipality with two offices and users of every role, plus a second municipality."""
    from tests.factories import build_world

    return build_world(session, clock)


@pytest.fixture
def api(client, world):
    """Call the REST API as one of the world's users: api.as_('abh').post(...)."""
    from tests.factories import ApiCaller

    return ApiCaller(client, world)
