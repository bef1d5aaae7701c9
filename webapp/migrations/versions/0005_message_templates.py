"""message templates: the notice texts (subject and body as Jinja2) that administrators edit

Seeds Chinese defaults for the procedure's notices (PROCESS.md §3, §4): assignment, reminders,
overdue, redo, reply delivered, not registered. Written out here, not imported, so this revision
stays as it is; administrators change the texts later under 通知模板.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:00:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import webapp.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


# name, label, subject, body
DEFAULT_TEMPLATES = [
    ('assigned', '交办通知（承办单位）',
     '新交办{{ item_type | item_kind }}：{{ title }}',
     '{{ recipient }}：\n\n'
     '{{ unit_name or "贵单位" }}收到新交办的{{ "政协提案" if item_type == "proposal" else "人大代表建议" }}'
     '《{{ title }}》（编号 {{ business_key }}），请及时签收核对。\n'
     '{% if due %}\n办理答复期限：{{ due | cn_date }}。\n{% endif %}\n'
     '如认为不属于本单位职责范围，请在异议期内提出，并附情况说明。\n'
     '{% if link %}\n\n办理入口：{{ link }}\n{% endif %}'),
    ('reminder', '到期提醒',
     '办理期限将至（{{ due | cn_date }}）：{{ title }}',
     '{{ recipient }}：\n\n'
     '{{ unit_name or "贵单位" }}承办的{{ item_type | item_kind }}《{{ title }}》（编号 {{ business_key }}）'
     '将于 {{ due | cn_date }} 到期，请抓紧办理，按时答复。答复前请与代表委员充分沟通协商（先协商，后答复），'
     '并及时录入协商记录。\n'
     '{% if link %}\n\n办理入口：{{ link }}\n{% endif %}'),
    ('due_today', '到期当日提醒',
     '今日到期：{{ title }}',
     '{{ recipient }}：\n\n'
     '{{ unit_name or "贵单位" }}承办的{{ item_type | item_kind }}《{{ title }}》（编号 {{ business_key }}）'
     '今日到期，请于今日内完成答复；确有困难的，请及时提出延期申请。\n'
     '{% if link %}\n\n办理入口：{{ link }}\n{% endif %}'),
    ('overdue', '超期督办',
     '已超期未答复：{{ title }}',
     '{{ recipient }}：\n\n'
     '{{ unit_name or "贵单位" }}承办的{{ item_type | item_kind }}《{{ title }}》（编号 {{ business_key }}）'
     '{% if due %}已超过办理期限（{{ due | cn_date }}）{% else %}已超过办理期限{% endif %}，仍未答复。'
     '请主要领导督促落实，尽快办理答复，并向市政府办公室说明超期原因。\n'
     '{% if link %}\n\n办理入口：{{ link }}\n{% endif %}'),
    ('redo', '重新办理通知',
     '答复审核未通过，请重新办理：{{ title }}',
     '{{ recipient }}：\n\n'
     '{{ unit_name or "贵单位" }}对{{ item_type | item_kind }}《{{ title }}》（编号 {{ business_key }}）的答复经审核未通过，'
     '请重新办理{% if due %}，并于 {{ due | cn_date }} 前重新答复{% endif %}。\n'
     '{% if comment %}\n\n审核意见：{{ comment }}\n{% endif %}'
     '{% if link %}\n\n办理入口：{{ link }}\n{% endif %}'),
    ('reply_delivered', '答复送达（代表委员）',
     '已答复：{{ title }}',
     '{{ recipient }}{{ "委员" if item_type == "proposal" else "代表" }}：\n\n'
     '您提出的{{ item_type | item_kind }}《{{ title }}》（编号 {{ business_key }}）'
     '{% if unit_name %}已由{{ unit_name }}办理答复{% else %}已办理答复{% endif %}'
     '{% if result_class %}，办理结果为 {{ result_class }} 类{% endif %}。'
     '请查阅答复函，并对办理情况作出评价（满意、基本满意或不满意）。\n\n'
     '感谢您对政府工作的关心和支持！\n'
     '{% if link %}\n\n查看答复：{{ link }}\n{% endif %}'),
    ('not_registered', '不予立案告知',
     '不予立案：{{ title }}',
     '{{ recipient }}：\n\n'
     '{{ item_type | item_kind }}《{{ title }}》（编号 {{ business_key }}）经审查不予立案。\n'
     '{% if reason %}\n\n理由：{{ reason }}\n{% endif %}'
     '\n如有疑问，请与市政府办公室联系。'),
]


def upgrade():
    op.create_table('message_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.Column('updated_at', webapp.models.AwareDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    templates = sa.table('message_templates', sa.column('name', sa.String), sa.column('label', sa.String),
                         sa.column('subject', sa.Text), sa.column('body', sa.Text),
                         sa.column('updated_by', sa.String),
                         sa.column('updated_at', webapp.models.AwareDateTime(timezone=True)))
    now = datetime.now(timezone.utc)
    op.bulk_insert(templates, [
        {'name': name, 'label': label, 'subject': subject, 'body': body, 'updated_by': None, 'updated_at': now}
        for name, label, subject, body in DEFAULT_TEMPLATES])


def downgrade():
    op.drop_table('message_templates')
