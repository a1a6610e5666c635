"""server-side web sessions and failed sign-ins (throttling)

Revision ID: d9e8f7a6b5c4
Revises: c2d3e4f5a6b7
Create Date: 2026-12-04 05:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = 'd9e8f7a6b5c4'
down_revision = 'c2d3e4f5a6b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('sid_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_reason', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('sid_hash', name=op.f('uq_user_session_sid_hash')),
    )
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'], unique=False)
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
    )
    op.create_index('ix_login_failure_username_at', 'login_failure', ['username', 'at'], unique=False)
    op.create_index('ix_login_failure_client_at', 'login_failure', ['client', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_login_failure_client_at', table_name='login_failure')
    op.drop_index('ix_login_failure_username_at', table_name='login_failure')
    op.drop_table('login_failure')
    op.drop_index(op.f('ix_user_session_user_id'), table_name='user_session')
    op.drop_table('user_session')
