"""partial covering indexes on open human tasks (inbox, overdue summary)

Revision ID: f6a7b8c9d0e1
Revises: e5f6a7b8c9d0
Create Date: 2026-11-30 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'f6a7b8c9d0e1'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None

OPEN = "status = 'open'"
# An office belongs to one municipality; without this PostgreSQL multiplies the two selectivities and
# underestimates an office's tasks about twelvefold (it then sorts a whole overdue list instead of reading
# the first page in index order).
STATISTICS = 'st_human_task_municipality_office'


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_open_office', ['municipality_id', 'office_id', 'due_at', 'id'],
                              unique=False, postgresql_include=['assignee', 'escalated_at'],
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.create_index('ix_human_task_open_activity', ['municipality_id', 'process_key', 'element_id', 'name'],
                              unique=False, postgresql_include=['created_at', 'due_at'],
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'CREATE STATISTICS {STATISTICS} (dependencies) ON municipality_id, office_id FROM human_task')
        op.execute('ANALYZE human_task')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP STATISTICS IF EXISTS {STATISTICS}')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_activity', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.drop_index('ix_human_task_open_office', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
