"""clock: work calendar overrides, covered years, deadline rules with their audit trail

Seeds the default deadline rules of the specification (PROCESS.md §3, §4, §7); administrators
change them later. The values are written out here, not imported, so this revision stays as it is.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:59:09.289835
"""
from datetime import date, datetime, timezone

from alembic import op
import sqlalchemy as sa
import webapp.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# name, label, value, unit
DEFAULT_RULES = [
    ('objection_window', '交办异议期（不属于本单位职责的可申请调整）', 7, 'workdays'),
    ('handling', '办理答复期限（自收到交办之日起）', 3, 'months'),
    ('redo_review', '审核未通过重新办理期限', 1, 'months'),
    ('redo_unsatisfied', '不满意重新办理期限', 1, 'months'),
    ('co_unit_opinion', '协办意见期限', 1, 'months'),
    ('publication', '答复公开期限', 20, 'workdays'),
    ('reminder_first', '到期前第一次提醒', 15, 'workdays'),
    ('reminder_second', '到期前第二次提醒', 5, 'workdays'),
    ('follow_up', '跟踪复查间隔（B类事项）', 6, 'months'),
]


def upgrade():
    op.create_table('calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day')
    )
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('entered_by', sa.String(length=100), nullable=True),
    sa.Column('entered_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('clock_revisions',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('changed_at', webapp.models.AwareDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('deadline_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.Column('updated_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('deadline_rule_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=True),
    sa.Column('old_value', sa.Integer(), nullable=False),
    sa.Column('old_unit', sa.String(length=16), nullable=False),
    sa.Column('old_effective_from', sa.Date(), nullable=False),
    sa.Column('new_value', sa.Integer(), nullable=False),
    sa.Column('new_unit', sa.String(length=16), nullable=False),
    sa.Column('new_effective_from', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['deadline_rules.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadline_rule_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_rule_changes_rule_id'), ['rule_id'], unique=False)

    now = datetime.now(timezone.utc)
    revisions = sa.table('clock_revisions', sa.column('name', sa.String), sa.column('revision', sa.Integer),
                         sa.column('changed_at', webapp.models.AwareDateTime(timezone=True)))
    op.bulk_insert(revisions, [{'name': 'calendar', 'revision': 0, 'changed_at': now}])
    rules = sa.table('deadline_rules', sa.column('name', sa.String), sa.column('label', sa.String),
                     sa.column('value', sa.Integer), sa.column('unit', sa.String),
                     sa.column('effective_from', sa.Date), sa.column('updated_by', sa.String),
                     sa.column('updated_at', webapp.models.AwareDateTime(timezone=True)))
    op.bulk_insert(rules, [
        {'name': name, 'label': label, 'value': value, 'unit': unit, 'effective_from': date(2000, 1, 1),
         'updated_by': None, 'updated_at': now}
        for name, label, value, unit in DEFAULT_RULES])


def downgrade():
    with op.batch_alter_table('deadline_rule_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_rule_changes_rule_id'))

    op.drop_table('deadline_rule_changes')
    op.drop_table('deadline_rules')
    op.drop_table('clock_revisions')
    op.drop_table('calendar_years')
    op.drop_table('calendar_days')
