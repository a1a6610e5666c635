"""deadlines: reminders, escalation levels, notifications

Revision ID: b7e1d2c3a4f5
Revises: 0029c281afec
Create Date: 2026-11-29 19:13:34.547515
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e1d2c3a4f5'
down_revision = '0029c281afec'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_notification_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_notification_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['recipient_id'], ['user_account.id'], name=op.f('fk_notification_recipient_id_user_account')),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_notification_task_id_human_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index('ix_notification_recipient', ['recipient_id', 'read_at'], unique=False)

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('second_escalated_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coordination_office_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('second_escalation_after', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key('fk_municipality_coordination_office', 'office', ['coordination_office_id'], ['id'])

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.drop_constraint('fk_municipality_coordination_office', type_='foreignkey')
        batch_op.drop_column('second_escalation_after')
        batch_op.drop_column('coordination_office_id')

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('second_escalated_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('remind_at')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_recipient')
        batch_op.drop_index(batch_op.f('ix_notification_municipality_id'))

    op.drop_table('notification')
