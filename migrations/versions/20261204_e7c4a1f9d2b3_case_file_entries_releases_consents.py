"""case file: entries owned by offices, releases (hand-offs), consent register

Revision ID: e7c4a1f9d2b3
Revises: b1c2d3e4f5a6
Create Date: 2026-12-04 05:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e7c4a1f9d2b3'
down_revision = 'b1c2d3e4f5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'consent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('business_key', sa.String(length=200), nullable=False),
        sa.Column('purpose', sa.String(length=200), nullable=False),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('given_by', sa.String(length=200), nullable=False),
        sa.Column('legal_representative', sa.String(length=200), nullable=True),
        sa.Column('informed_purpose', sa.Boolean(), nullable=False),
        sa.Column('informed_recipients', sa.Boolean(), nullable=False),
        sa.Column('informed_withdrawal', sa.Boolean(), nullable=False),
        sa.Column('form', sa.String(length=20), nullable=False),
        sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_by', sa.String(length=64), nullable=True),
        sa.Column('withdrawn_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id']),
        sa.ForeignKeyConstraint(['office_id'], ['office.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_consent_person', 'consent', ['municipality_id', 'business_key'])
    op.create_table(
        'case_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=True),
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=True),
        sa.Column('human_task_id', sa.Integer(), nullable=True),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('restricted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('restricted_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id']),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id']),
        sa.ForeignKeyConstraint(['office_id'], ['office.id']),
        sa.ForeignKeyConstraint(['human_task_id'], ['human_task.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_entry_instance', 'case_entry', ['instance_id', 'id'])
    op.create_index('ix_case_entry_municipality_id', 'case_entry', ['municipality_id'])
    op.create_table(
        'case_release',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('to_office_id', sa.Integer(), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('legal_basis', sa.String(length=64), nullable=True),
        sa.Column('consent_id', sa.Integer(), nullable=True),
        sa.Column('element_id', sa.String(length=200), nullable=True),
        sa.Column('human_task_id', sa.Integer(), nullable=True),
        sa.Column('upto_entry_id', sa.Integer(), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id']),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id']),
        sa.ForeignKeyConstraint(['to_office_id'], ['office.id']),
        sa.ForeignKeyConstraint(['consent_id'], ['consent.id']),
        sa.ForeignKeyConstraint(['human_task_id'], ['human_task.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_release_instance', 'case_release', ['instance_id', 'to_office_id'])
    op.create_index('ix_case_release_municipality_id', 'case_release', ['municipality_id'])
    op.create_index('ix_case_release_consent_id', 'case_release', ['consent_id'])


def downgrade():
    op.drop_table('case_release')
    op.drop_table('case_entry')
    op.drop_table('consent')
