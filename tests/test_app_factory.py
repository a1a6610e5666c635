"""The app factory, the CLI contract and migrations that match the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.cli import cli
from app.extensions import db


def test_factory_reads_environment_and_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTSE_DATABASE_URL", "postgresql://someone@db.invalid/lotse")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.invalid/lotse"
    monkeypatch.delenv("LOTSE_DATABASE_URL")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lotse.sqlite3'}"
    # the secret is generated once and kept
    assert app.config["SECRET_KEY"] == create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]


def test_migrations_match_the_models(app, session):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_cli_sets_up_a_municipality_end_to_end(app, session):
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["municipality", "create", "testdorf", "--name", "Gemeinde Testdorf"]).exit_code == 0
    assert runner.invoke(cli, ["office", "create", "testdorf", "Sozialamt"]).exit_code == 0
    assert runner.invoke(cli, ["office", "create", "testdorf", "Jugendamt"]).exit_code == 0
    listed = runner.invoke(cli, ["office", "list", "testdorf"])
    assert listed.output.splitlines() == ["Jugendamt", "Sozialamt"]
    created = runner.invoke(cli, ["user", "create", "s.klein", "--municipality", "testdorf", "--office", "Sozialamt",
                                  "--role", "clerk", "--password-stdin"], input="Ampel-Fahrrad-Kiefer-9\n")
    assert created.exit_code == 0, created.output
    token = runner.invoke(cli, ["token", "create", "s.klein"]).output.strip().splitlines()[-1]
    client = app.test_client()
    assert client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    duplicate = runner.invoke(cli, ["office", "create", "testdorf", "Sozialamt"])
    assert duplicate.exit_code == 1 and "exists already" in duplicate.output
    no_office = runner.invoke(cli, ["user", "create", "x.y", "--municipality", "testdorf", "--role", "clerk"])
    assert no_office.exit_code == 1 and "needs an office" in no_office.output


def test_demo_seeds_a_living_municipality_and_is_idempotent(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["demo"])
    assert first.exit_code == 0, first.output
    assert "Deployed p5_einwilligung v1" in first.output and "Deployed p4_sprache_arbeit v1" in first.output
    token = [line.split()[-1] for line in first.output.splitlines() if line.strip().startswith("abh.mueller")][0]
    second = runner.invoke(cli, ["demo"])
    assert second.exit_code == 0 and "exists already" in second.output
    client = app.test_client()
    # the first run's token was replaced by the second run's
    assert client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    token = [line.split()[-1] for line in second.output.splitlines() if line.strip().startswith("abh.mueller")][0]
    inbox = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert inbox["total"] >= 2
    supervisor = [line.split()[-1] for line in second.output.splitlines() if line.strip().startswith("aufsicht")][0]
    headers = {"Authorization": f"Bearer {supervisor}"}
    assert client.get("/api/instances", headers=headers).get_json()["total"] >= 20
    offices = client.get("/api/overdue", headers=headers).get_json()["offices"]
    assert sum(o["escalated"] for o in offices) >= 5 and len(offices) >= 8
    assert client.get("/api/incidents", headers=headers).get_json()["total"] == 0
