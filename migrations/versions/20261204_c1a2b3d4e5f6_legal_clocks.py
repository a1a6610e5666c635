"""legal clocks: trigger, legal/internal, person clocks and pauses on human tasks; clocks bound to a case

Revision ID: c1a2b3d4e5f6
Revises: a7b8c9d0e1f2
Create Date: 2026-12-04 05:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c1a2b3d4e5f6'
down_revision = 'a7b8c9d0e1f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('due_from_label', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('legal', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('against', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pause_mode', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('pause_reason', sa.String(length=300), nullable=True))
    op.create_table(
        'case_clock',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=False),
        sa.Column('due_from', sa.Date(), nullable=True),
        sa.Column('due_from_label', sa.String(length=200), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('legal_source', sa.String(length=300), nullable=True),
        sa.Column('legal', sa.Boolean(), nullable=True),
        sa.Column('against', sa.String(length=10), nullable=True),
        sa.Column('armed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id']),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('instance_id', 'name', name='uq_case_clock_name'),
    )
    op.create_index('ix_case_clock_instance_id', 'case_clock', ['instance_id'], unique=False)


def downgrade():
    op.drop_index('ix_case_clock_instance_id', table_name='case_clock')
    op.drop_table('case_clock')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        for column in ('pause_reason', 'pause_mode', 'paused_at', 'against', 'legal', 'due_from_label', 'due_from'):
            batch_op.drop_column(column)
