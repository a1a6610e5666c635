"""`lotse db create-roles`: PostgreSQL roles that keep the running app from undoing the audit protections.

The owner role owns the schema and runs the migrations; the app role may read and write rows, but owns no
table: it cannot disable triggers, truncate, alter or drop tables, and has no UPDATE or DELETE on the
append-only audit tables at all (payloads may only be turned into tombstones, which the row trigger
enforces; the access log may be pruned). See docs/auth.md.
"""
from __future__ import annotations

import re

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from app.extensions import db

APPEND_ONLY = ("audit_event", "audit_seal", "audit_seal_entry")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def role_statements(*, owner: str, app_role: str, schema: str, tables: list[str]) -> list[str]:
    """The SQL that creates (if missing) and configures the two roles for a schema's existing tables."""
    for name in (owner, app_role, schema):
        if not _NAME.match(name):
            raise click.BadParameter(f"'{name}' is not a plain lower-case SQL identifier")
    statements = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {role} LOGIN; END IF; END $$" for role in (owner, app_role)]
    statements += [
        f"ALTER SCHEMA {schema} OWNER TO {owner}",
        *[f'ALTER TABLE {schema}."{table}" OWNER TO {owner}' for table in tables],
        f"REVOKE ALL ON SCHEMA {schema} FROM {app_role}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {schema} TO {app_role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app_role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(f'{schema}.{t}' for t in APPEND_ONLY)} FROM {app_role}",
        f"REVOKE DELETE, TRUNCATE ON {schema}.audit_payload FROM {app_role}",
        f"REVOKE INSERT, UPDATE, DELETE ON {schema}.alembic_version FROM {app_role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app_role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app_role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {app_role}",
    ]
    return statements


@click.command("create-roles")
@click.option("--owner", default="lotse_owner", show_default=True, help="Owns the schema; runs `lotse db upgrade`.")
@click.option("--app-role", default="lotse_app", show_default=True, help="Runs the web and scheduler processes.")
@click.option("--schema", default="public", show_default=True)
@click.option("--execute", is_flag=True, help="Run the statements now (as a superuser) instead of printing them.")
@with_appcontext
def create_roles(owner: str, app_role: str, schema: str, execute: bool) -> None:
    """Print (or run) the SQL for a DML-only app role and an owner role for migrations (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("roles exist on PostgreSQL only; SQLite has no users")
    tables = list(db.session.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = :schema")
                                      .bindparams(schema=schema)))
    statements = role_statements(owner=owner, app_role=app_role, schema=schema, tables=sorted(tables))
    if not execute:
        for statement in statements:
            click.echo(statement + ";")
        return
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()
    click.echo(f"roles {owner} (owner, migrations) and {app_role} (rows only) set up on schema {schema}; "
               "set their passwords with ALTER ROLE … PASSWORD")
