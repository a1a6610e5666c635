"""pending messages between cases (outbox)

Revision ID: d4e5f6a7b8c9
Revises: c9a4e5f6b7d8
Create Date: 2026-11-29 19:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd4e5f6a7b8c9'
down_revision = 'c9a4e5f6b7d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('business_key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('source_instance_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('target_instance_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_pending_message_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['source_instance_id'], ['process_instance.id'], name=op.f('fk_pending_message_source_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['target_instance_id'], ['process_instance.id'], name=op.f('fk_pending_message_target_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_message'))
    )
    with op.batch_alter_table('pending_message', schema=None) as batch_op:
        batch_op.create_index('ix_pending_message_open', ['status', 'municipality_id', 'name'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_message', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_message_open')
    op.drop_table('pending_message')
