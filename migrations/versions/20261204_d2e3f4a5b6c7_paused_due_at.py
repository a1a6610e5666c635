"""paused deadlines keep the end they had (human_task.paused_due_at)

Revision ID: d2e3f4a5b6c7
Revises: e7c4a1f9d2b3
Create Date: 2026-12-04 05:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd2e3f4a5b6c7'
down_revision = 'e7c4a1f9d2b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_due_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('paused_due_at')
