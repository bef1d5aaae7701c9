"""reports: the office's spot checks (抽查) and the statistics snapshot the worker refreshes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import webapp.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('spot_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('contacted', sa.String(length=100), nullable=False),
    sa.Column('satisfaction', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_by_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('spot_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_checks_instance_id'), ['instance_id'], unique=False)

    op.create_table('statistics_snapshots',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('computed_at', webapp.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('computed_by', sa.String(length=100), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('lease_until', webapp.models.AwareDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('statistics_item_facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('session', sa.String(length=32), nullable=False),
    sa.Column('item_type', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('intake_decision', sa.String(length=16), nullable=True),
    sa.Column('is_key', sa.Boolean(), nullable=False),
    sa.Column('handling_units', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('statistics_item_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statistics_item_facts_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statistics_item_facts_year'), ['year'], unique=False)

    op.create_table('statistics_reply_facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('result_class', sa.String(length=8), nullable=True),
    sa.Column('evaluations', sa.JSON(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('face_to_face', sa.Boolean(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('finished', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('statistics_reply_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statistics_reply_facts_instance_id'), ['instance_id'], unique=False)


def downgrade():
    with op.batch_alter_table('statistics_reply_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statistics_reply_facts_instance_id'))
    op.drop_table('statistics_reply_facts')
    with op.batch_alter_table('statistics_item_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statistics_item_facts_year'))
        batch_op.drop_index(batch_op.f('ix_statistics_item_facts_instance_id'))
    op.drop_table('statistics_item_facts')
    op.drop_table('statistics_snapshots')
    with op.batch_alter_table('spot_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_checks_instance_id'))
    op.drop_table('spot_checks')
