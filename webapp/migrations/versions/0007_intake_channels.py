"""intake channels: spreadsheet batches (item_imports) and the platforms' API tokens and submissions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import webapp.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('item_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('item_ids', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('runner', sa.String(length=32), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', webapp.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', webapp.models.AwareDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('item_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_imports_status'), ['status'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', webapp.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', webapp.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )

    op.create_table('api_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id')
    )
    with op.batch_alter_table('api_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_submissions_token_id'), ['token_id'], unique=False)


def downgrade():
    with op.batch_alter_table('api_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_submissions_token_id'))
    op.drop_table('api_submissions')
    op.drop_table('api_tokens')
    with op.batch_alter_table('item_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_imports_status'))
    op.drop_table('item_imports')
