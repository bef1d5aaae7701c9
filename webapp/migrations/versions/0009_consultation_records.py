"""consultation records: the handling units' consultations with the proposer, and his confirmation

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 21:30:00
"""
from alembic import op
import sqlalchemy as sa
import webapp.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consultation_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('job_key', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('participants', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('confirmed_by', sa.String(length=64), nullable=True),
    sa.Column('confirmed_at', webapp.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('proposer_comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id', 'job_key')
    )
    with op.batch_alter_table('consultation_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_records_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_records_item_id'), ['item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('consultation_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_records_item_id'))
        batch_op.drop_index(batch_op.f('ix_consultation_records_instance_id'))
    op.drop_table('consultation_records')
