"""A small year of items for the reporting pages (board, public replies, statistics, diagram), driven
through the product's diagrams with the clock frozen, items registered as the office does.

    #1 人大建议 十七届五次, 市交通运输局, replied (A, 满意), published; its reply names a contact person
       and phone numbers
    #2 人大建议 十七届五次, 教育科技, lead 市教育局 (dispatched, consulting) with co-unit 市交通运输局:
       overdue
    #3 政协提案 十四届三次, 市交通运输局, assigned two weeks later: due within 3 working days
    #4 人大建议 十七届五次, still at the office's intake review
    #5 人大建议 十七届五次, not registered
    #6 人大建议 十七届五次, 市交通运输局, replied (B, 基本满意), not published (不予公开)

The clock ends on Wednesday 2027-03-03 10:00 office time (`NOW`).
"""
from datetime import datetime

from tests.procedure.driver import Procedure, accept, dispatch, evaluate, register, to_reply
from webapp.clock import OFFICE_TZ
from webapp.items import register_item

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)     # Monday
LATER = datetime(2026, 12, 7, 10, 0, tzinfo=OFFICE_TZ)   # Monday, two weeks on
NOW = datetime(2027, 3, 3, 10, 0, tzinfo=OFFICE_TZ)      # Wednesday

CONTACT_REPLY = ("一、基本情况\n" + "我局已按建议调整城区公交线路，新增班次。" * 40 +
                 "\n二、下一步工作\n如有疑问请联系公交科，联系电话：0359-2345678，手机 139 1234 5678，"
                 "邮箱 gongjiao@example.gov.cn。\n"
                 "附注：（联系人：李四，联系电话：0359-2345678）\n")
SHORT_REPLY = "一、基本情况\n已将增设站点列入明年计划，逐步解决。联系人：王五，电话：13812345678。" + "将继续跟踪落实。" * 6


def new_item(proc, item_no, title, item_type="suggestion", session="十七届五次", category="交通运输",
             proposer="deputy", **more) -> int:
    values = dict(item_type=item_type, session=session, timing="session", item_no=str(item_no), title=title,
                  body="一、现状\n存在问题。\n二、建议\n请予解决。", category=category, source="manual",
                  proposer_type="individual", proposer=proposer, contact="13912345678",
                  publication_consent="on", **more)
    item = register_item(proc.engine, values, proc.user("office"))
    proc.instance_id = item.instance_id
    proc.work()
    return item.instance_id


def build(engine, clock) -> dict[str, int]:
    """Drive the items above; returns their instance ids by name (one, two, …)."""
    proc = Procedure(engine)
    ids = {}
    ids["one"] = new_item(proc, 1, "关于改善城区公交线路的建议")
    register(proc, lead="jtj")
    accept(proc, "jtj")
    to_reply(proc, "jtj", reply_body=CONTACT_REPLY)
    evaluate(proc, "deputy", "satisfied")
    proc.do("publish_reply", "jtj_liaison", unit="jtj", contact_removed="confirmed")

    ids["two"] = new_item(proc, 2, "关于增设校车线路的建议", category="教育科技")
    register(proc, mode="lead_co", lead="jyj", co=["jtj"], category="教育科技")
    accept(proc, "jyj", "jtj")
    dispatch(proc, "jyj")

    ids["six"] = new_item(proc, 6, "关于增设公交站点的建议")
    register(proc, lead="jtj")
    accept(proc, "jtj")
    to_reply(proc, "jtj", result_class="B", publication="not_public", no_publish_reason="涉及规划未定事项",
             reply_body=SHORT_REPLY)
    evaluate(proc, "deputy", "basically")

    clock.move_to(LATER)
    proc.work()
    ids["three"] = new_item(proc, 3, "关于优化公交换乘的提案", item_type="proposal", session="十四届三次",
                            proposer="member")
    register(proc, lead="jtj")
    accept(proc, "jtj")
    ids["four"] = new_item(proc, 4, "关于路灯维修的建议")
    ids["five"] = new_item(proc, 5, "关于不属于本级职权事项的建议")
    proc.do("intake_review", "office", intake_decision="reject", category="交通运输", intake_reason="不属于本级")

    clock.move_to(NOW)
    proc.work()
    return ids
