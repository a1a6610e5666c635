"""audit and outbox lookup indexes: a municipality's trail in chain order, a case's outbox messages

Revision ID: a7b8c9d0e1f2
Revises: f6a7b8c9d0e1
Create Date: 2026-11-30 12:00:00
"""
from alembic import op


revision = 'a7b8c9d0e1f2'
down_revision = 'f6a7b8c9d0e1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        # Replaces the single-column index: verify of one municipality reads its events in chain order.
        batch_op.drop_index('ix_audit_event_municipality_id')
        batch_op.create_index('ix_audit_event_municipality_instance_seq', ['municipality_id', 'instance_id', 'seq'],
                              unique=False)
    with op.batch_alter_table('audit_payload', schema=None) as batch_op:
        batch_op.create_index('ix_audit_payload_municipality_instance', ['municipality_id', 'instance_id'],
                              unique=False)
    with op.batch_alter_table('pending_message', schema=None) as batch_op:
        batch_op.create_index('ix_pending_message_source_instance_id', ['source_instance_id'], unique=False)
        batch_op.create_index('ix_pending_message_target_instance_id', ['target_instance_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_message', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_message_target_instance_id')
        batch_op.drop_index('ix_pending_message_source_instance_id')
    with op.batch_alter_table('audit_payload', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_payload_municipality_instance')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_municipality_instance_seq')
        batch_op.create_index('ix_audit_event_municipality_id', ['municipality_id'], unique=False)
