"""diagram drafts: process owners' working copies of diagrams and decision tables (the modeler pages)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:00:00
"""
from alembic import op
import sqlalchemy as sa
import webapp.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('diagram_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.Column('updated_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'key')
    )


def downgrade():
    op.drop_table('diagram_drafts')
