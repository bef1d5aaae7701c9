"""The office's intake decisions flow back to the item's record: 分类甄选／快速审查 may change the category
and the key flag; the service task 更新事项登记信息 (topic `update_item`) writes them to the `items` row,
which the item list, the board, the statistics, the ledger and the API read."""
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from service_tasks.items import _check, checked_values
from tests.procedure.driver import register
from webapp.clock import OFFICE_TZ
from webapp.items import ItemFilters, find_items, register_item
from webapp.models import AuditEvent, Item, Job
from webapp.reports.board import BoardFilters, open_rows

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)


@pytest.fixture(autouse=True)
def clock():
    traveller = time_machine.travel(T0, tick=False)
    yield traveller.start()
    traveller.stop()


def registered(proc, **changes):
    values = dict(item_type="suggestion", session="十七届五次", timing="session", item_no="123",
                  title="关于改善城区公交线路的建议", body="公交线路覆盖不足，建议增开班次。", category="交通运输",
                  proposer_type="individual", proposer="deputy", contact="13800000000", source="manual",
                  key_source="none", received_on="2026-11-20")
    values.update(changes)
    item = register_item(proc.engine, values, proc.user("office"))
    proc.instance_id = item.instance_id
    return item


def item_row(proc) -> Item:
    with proc.engine.db.read() as s:
        return s.scalars(select(Item).where(Item.instance_id == proc.instance_id)).one()


def updates(proc) -> list[dict]:
    with proc.engine.db.read() as s:
        return [e.detail for e in s.scalars(select(AuditEvent).where(
            AuditEvent.instance_id == proc.instance_id, AuditEvent.action == "item_updated").order_by(AuditEvent.id))]


def listed(proc, username, **filters) -> list[int]:
    with proc.engine.db.read() as s:
        page = find_items(s, proc.user(username), ItemFilters(**filters))
        return [item.instance_id for item, _status in page.rows]


def test_the_office_changes_category_and_key_flag_and_the_item_follows(proc):
    registered(proc)
    task = proc.task("intake_review")
    assert (task.form_data["category"], task.form_data["is_key"]) == ("交通运输", False)
    prefilled = {k: v for k, v in task.form_data.items() if v is not None and not isinstance(v, dict)}
    proc.engine.tasks.complete(task.id, proc.user("office"), {
        **prefilled, "intake_decision": "register", "category": "城乡建设", "is_key": "on", "key_source": "npc_cppcc"})
    with proc.engine.db.read() as s:  # the service task waits for the worker: one job, named in the diagram
        job = s.scalars(select(Job).where(Job.instance_id == proc.instance_id, Job.status == "pending")).one()
        assert (job.element_id, job.name, job.topic) == ("update_item", "更新事项登记信息", "update_item")
        assert job.parameters == {"category": "城乡建设", "is_key": True, "key_source": "npc_cppcc"}
    assert item_row(proc).category == "交通运输"

    proc.work()
    item = item_row(proc)
    assert (item.category, item.is_key, item.key_source) == ("城乡建设", True, "npc_cppcc")
    assert updates(proc) == [{"changes": {"类别": "交通运输 → 城乡建设", "重点": "否 → 是",
                                          "重点来源": "非重点 → 人大、政协确定的重点督办"}}]
    assert proc.open_summary() == [("assign_units", None)]  # and the process went on to 交办
    # the item list files it under its new category, and the board marks it as a key item
    assert listed(proc, "office", category="城乡建设") == [proc.instance_id]
    assert listed(proc, "office", category="交通运输") == []
    with proc.engine.db.read() as s:
        rows = open_rows(s, BoardFilters())
    assert [(r.instance_id, r.is_key, r.steps) for r in rows] == [(proc.instance_id, True, ["交办：确定承办单位"])]

    proc.do("assign_units", "office", handling_mode="single", lead_unit="zjj", co_units=[], split_units=[],
            office_requires_vice_mayor=False)
    with proc.engine.db.read() as s:  # the unit's row on the board too
        rows = open_rows(s, BoardFilters())
    assert [(r.unit_name, r.is_key, r.steps) for r in rows] == [("市住房和城乡建设局", True, ["签收核对：是否属于本单位职责"])]


def test_unchanged_values_leave_the_item_and_its_history_alone(proc):
    registered(proc)
    register(proc, mode="single", lead="jtj")
    item = item_row(proc)
    assert (item.category, item.is_key, item.key_source) == ("交通运输", False, "none")
    assert updates(proc) == []
    with proc.engine.db.read() as s:
        assert s.scalars(select(Job.status).where(Job.element_id == "update_item")).all() == ["done"]


def test_a_key_item_made_ordinary_loses_its_source_and_leader(proc):
    registered(proc, key_source="npc_cppcc", key_leader="郑副市长")
    assert item_row(proc).is_key is True
    proc.do("intake_review", "office", intake_decision="reject", category="交通运输", is_key=False,
            intake_reason="不属于本级政府职权")
    item = item_row(proc)
    assert (item.is_key, item.key_source, item.key_leader) == (False, "none", "")
    assert updates(proc) == [{"changes": {"重点": "是 → 否", "重点来源": "人大、政协确定的重点督办 → 非重点",
                                          "领办领导": "郑副市长 → （空）"}}]
    assert proc.status() == "completed"


def test_a_key_flag_without_a_source_keeps_the_registered_one(proc):
    registered(proc, key_source="unit")
    proc.do("intake_review", "office", intake_decision="register", category="教育科技", is_key=True, key_source="none")
    item = item_row(proc)
    assert (item.category, item.is_key, item.key_source) == ("教育科技", True, "unit")
    assert updates(proc) == [{"changes": {"类别": "交通运输 → 教育科技"}}]


def test_an_instance_without_an_item_record_goes_on(proc):
    proc.start()  # a diagram run without a registered item (as the other path tests do)
    proc.do("intake_review", "office", intake_decision="register", category="城乡建设")
    assert proc.open_summary() == [("assign_units", None)]
    with proc.engine.db.read() as s:
        assert s.scalars(select(Job.status).where(Job.element_id == "update_item")).all() == ["done"]
        assert s.scalar(select(Item.id)) is None


def test_bad_values_are_refused_with_a_message():
    with pytest.raises(ValueError, match="类别“交通”不在类别表中"):
        checked_values(category="交通")
    with pytest.raises(ValueError, match="重点来源“city”应为"):
        checked_values(key_source="city")
    with pytest.raises(ValueError, match="应为 true 或 false"):
        checked_values(is_key="maybe")
    assert checked_values(category="城乡建设", is_key="", key_source=None) == {"category": "城乡建设"}
    assert checked_values(is_key="on") == {"is_key": True}
    assert _check({}) == ["服务主题“update_item”至少要给出一个要更新的字段（category、subcategory、is_key、key_source、key_leader）"]
    assert _check({"category": "交通", "key_source": "${key_source}"}) == ["参数 category 的值“交通”不在类别表中"]
    assert _check({"category": "${category}"}) == []
