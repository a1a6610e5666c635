"""audit trail: payloads, ledger, access log

Erasable payloads, the sealing ledger, the access log, per-definition retention; on PostgreSQL, triggers
make audit_event and the ledger append-only, let payload rows change only into tombstones, and refuse
updates of the access log (pruning deletes old rows).

Revision ID: c9a4e5f6b7d8
Revises: b7e1d2c3a4f5
Create Date: 2026-11-29 19:21:42.307516
"""
from alembic import op
import sqlalchemy as sa


revision = 'c9a4e5f6b7d8'
down_revision = 'b7e1d2c3a4f5'
branch_labels = None
depends_on = None


TRIGGERS_UP = """
CREATE FUNCTION lotse_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'lotse: % on % is not allowed (append-only audit data)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION lotse_payload_tombstone_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.content IS NULL AND NEW.salt IS NULL AND NEW.erased_at IS NOT NULL
       AND NEW.id = OLD.id AND NEW.municipality_id = OLD.municipality_id AND NEW.sha256 = OLD.sha256
       AND NEW.instance_id IS NOT DISTINCT FROM OLD.instance_id AND NEW.created_at = OLD.created_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'lotse: % on audit_payload is not allowed (payloads can only be erased)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION lotse_refuse_change();
CREATE TRIGGER audit_seal_append_only BEFORE UPDATE OR DELETE ON audit_seal
    FOR EACH ROW EXECUTE FUNCTION lotse_refuse_change();
CREATE TRIGGER audit_seal_entry_append_only BEFORE UPDATE OR DELETE ON audit_seal_entry
    FOR EACH ROW EXECUTE FUNCTION lotse_refuse_change();
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
    FOR EACH ROW EXECUTE FUNCTION lotse_refuse_change();
CREATE TRIGGER audit_payload_tombstone_only BEFORE UPDATE OR DELETE ON audit_payload
    FOR EACH ROW EXECUTE FUNCTION lotse_payload_tombstone_only();
"""

TRIGGERS_DOWN = """
DROP TRIGGER IF EXISTS audit_payload_tombstone_only ON audit_payload;
DROP TRIGGER IF EXISTS access_log_no_update ON access_log;
DROP TRIGGER IF EXISTS audit_seal_entry_append_only ON audit_seal_entry;
DROP TRIGGER IF EXISTS audit_seal_append_only ON audit_seal;
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
DROP FUNCTION IF EXISTS lotse_payload_tombstone_only();
DROP FUNCTION IF EXISTS lotse_refuse_change();
"""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table('access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('office', sa.String(length=400), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_access_log_municipality_id_municipality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index('ix_access_log_instance', ['instance_id'], unique=False)
        batch_op.create_index('ix_access_log_time', ['municipality_id', 'occurred_at'], unique=False)

    op.create_table('audit_seal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('entries_sha256', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_audit_seal_municipality_id_municipality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_seal')),
    sa.UniqueConstraint('municipality_id', 'seq', name=op.f('uq_audit_seal_municipality_id_seq'))
    )
    op.create_table('audit_payload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=True),
    sa.Column('content', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_audit_payload_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_audit_payload_municipality_id_municipality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_payload')),
    sa.UniqueConstraint('municipality_id', 'sha256', name=op.f('uq_audit_payload_municipality_id_sha256'))
    )
    with op.batch_alter_table('audit_payload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_payload_instance_id'), ['instance_id'], unique=False)

    op.create_table('audit_seal_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seal_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_audit_seal_entry_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['seal_id'], ['audit_seal.id'], name=op.f('fk_audit_seal_entry_seal_id_audit_seal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_seal_entry'))
    )
    with op.batch_alter_table('audit_seal_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_seal_entry_chain', ['municipality_id', 'instance_id', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_seal_entry_seal_id'), ['seal_id'], unique=False)

    op.create_table('audit_sealed_head',
    sa.Column('instance_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_audit_sealed_head_municipality_id_municipality')),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_audit_sealed_head'))
    )
    with op.batch_alter_table('audit_sealed_head', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_sealed_head_municipality_id'), ['municipality_id'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_municipality_chain', ['municipality_id', 'seq'], unique=True, postgresql_where=sa.text('instance_id IS NULL'), sqlite_where=sa.text('instance_id IS NULL'))

    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention', sa.String(length=40), nullable=True))

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))

    # SQLite has no equivalent worth the name: there the application never updates these tables and
    # `lotse audit verify` detects anyone who does.
    if _postgresql():
        op.execute(TRIGGERS_UP)



def downgrade():
    if _postgresql():
        op.execute(TRIGGERS_DOWN)
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('erased_at')

    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_column('retention')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_municipality_chain', postgresql_where=sa.text('instance_id IS NULL'), sqlite_where=sa.text('instance_id IS NULL'))

    with op.batch_alter_table('audit_sealed_head', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_sealed_head_municipality_id'))

    op.drop_table('audit_sealed_head')
    with op.batch_alter_table('audit_seal_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_seal_entry_seal_id'))
        batch_op.drop_index('ix_audit_seal_entry_chain')

    op.drop_table('audit_seal_entry')
    with op.batch_alter_table('audit_payload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_payload_instance_id'))

    op.drop_table('audit_payload')
    op.drop_table('audit_seal')
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_access_log_time')
        batch_op.drop_index('ix_access_log_instance')

    op.drop_table('access_log')
