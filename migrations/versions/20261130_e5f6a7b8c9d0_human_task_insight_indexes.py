"""human task indexes for the supervisor insights

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
Create Date: 2026-11-30 09:00:00
"""
from alembic import op


revision = 'e5f6a7b8c9d0'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_completed', ['municipality_id', 'status', 'completed_at'], unique=False)
        batch_op.create_index('ix_human_task_activity', ['municipality_id', 'process_key', 'status', 'completed_at'],
                              unique=False)
        batch_op.create_index('ix_human_task_escalated', ['municipality_id', 'escalated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_escalated')
        batch_op.drop_index('ix_human_task_activity')
        batch_op.drop_index('ix_human_task_completed')
