"""items: the suggestions and proposals (建议/提案) as business records, one per main-process instance

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:18:32.917812
"""
from alembic import op
import sqlalchemy as sa
import webapp.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_type', sa.String(length=32), nullable=False),
    sa.Column('session', sa.String(length=32), nullable=False),
    sa.Column('timing', sa.String(length=16), nullable=False),
    sa.Column('item_no', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('subcategory', sa.String(length=64), nullable=True),
    sa.Column('proposer_type', sa.String(length=16), nullable=False),
    sa.Column('proposer', sa.String(length=64), nullable=True),
    sa.Column('proposer_name', sa.String(length=200), nullable=False),
    sa.Column('co_signers', sa.JSON(), nullable=False),
    sa.Column('co_signer_names', sa.JSON(), nullable=False),
    sa.Column('contact', sa.String(length=300), nullable=False),
    sa.Column('suggested_units', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('is_key', sa.Boolean(), nullable=False),
    sa.Column('key_source', sa.String(length=16), nullable=False),
    sa.Column('key_leader', sa.String(length=100), nullable=False),
    sa.Column('publication_consent', sa.Boolean(), nullable=False),
    sa.Column('proposer_requested_face_to_face', sa.Boolean(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id'),
    sa.UniqueConstraint('item_type', 'session', 'item_no')
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_proposer'), ['proposer'], unique=False)


def downgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_proposer'))
        batch_op.drop_index(batch_op.f('ix_items_category'))

    op.drop_table('items')
