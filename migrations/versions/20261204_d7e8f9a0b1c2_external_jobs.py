"""external task jobs: lock, retries and incident of a case waiting at an external service task

Revision ID: d7e8f9a0b1c2
Revises: f3a4b5c6d7e8
Create Date: 2026-12-04 06:05:00
"""
from alembic import op
import sqlalchemy as sa



revision = 'd7e8f9a0b1c2'
down_revision = 'f3a4b5c6d7e8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'external_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('message_name', sa.String(length=200), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=False),
        sa.Column('worker_id', sa.String(length=200), nullable=True),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('retries', sa.Integer(), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('instance_id', 'message_name'),
    )
    with op.batch_alter_table('external_job', schema=None) as batch_op:
        batch_op.create_index('ix_external_job_topic', ['municipality_id', 'topic'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_job_instance_id'), ['instance_id'], unique=False)


def downgrade():
    with op.batch_alter_table('external_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_job_instance_id'))
        batch_op.drop_index('ix_external_job_topic')
    op.drop_table('external_job')
