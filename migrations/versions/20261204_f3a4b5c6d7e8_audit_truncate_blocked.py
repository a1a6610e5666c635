"""audit: TRUNCATE refused on the trail, the ledger, payloads and the access log (PostgreSQL)

Row triggers do not fire for TRUNCATE; these statement triggers do. Like the row triggers they stop the
application's own role; against the table owner the defence is the DML-only role setup (docs/auth.md,
`lotse db create-roles`), under which the app can neither truncate nor disable triggers.

Revision ID: f3a4b5c6d7e8
Revises: d9e8f7a6b5c4
Create Date: 2026-12-04 05:40:00
"""
from alembic import op

revision = 'f3a4b5c6d7e8'
down_revision = 'd9e8f7a6b5c4'
branch_labels = None
depends_on = None

TABLES = ("audit_event", "audit_payload", "audit_seal", "audit_seal_entry", "access_log")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION lotse_refuse_change()")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
