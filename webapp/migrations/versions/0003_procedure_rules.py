"""procedure rules: the deadline rules the procedure diagrams name besides those of 0002

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:00:00
"""
from datetime import date, datetime, timezone

from alembic import op
import sqlalchemy as sa
import webapp.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Written out here (not imported) so this revision stays as it is.
RULES = [
    ('intake_review', '立案审查与交办期限（自收到之日起）', 5, 'workdays'),
    ('recheck_c', 'C类事项复查间隔', 12, 'months'),
]


def upgrade():
    rules = sa.table('deadline_rules', sa.column('name', sa.String), sa.column('label', sa.String),
                     sa.column('value', sa.Integer), sa.column('unit', sa.String),
                     sa.column('effective_from', sa.Date), sa.column('updated_by', sa.String),
                     sa.column('updated_at', webapp.models.AwareDateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(rules, [
        {'name': name, 'label': label, 'value': value, 'unit': unit, 'effective_from': date(2000, 1, 1),
         'updated_by': None, 'updated_at': now}
        for name, label, value, unit in RULES])


def downgrade():
    op.execute(sa.text("DELETE FROM deadline_rules WHERE name IN ('intake_review', 'recheck_c')"))
