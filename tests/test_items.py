"""Items (建议/提案): manual intake checks the fields, stores the item and starts its main process in one
transaction; numbers are unique per type and session; who sees which item."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.procedure.driver import Procedure, register
from webapp.engine.errors import EngineError
from webapp.items import (ITEM_PROCESS, ItemFilters, ItemInvalid, business_key, display_number, find_items,
                          item_label, register_item)
from webapp.items import intake
from webapp.models import AuditEvent, HumanTask, Instance, Item, Job


@pytest.fixture
def city(engine):
    """The product's diagrams deployed, with the office, reviewers, deputies and units of driver.py."""
    return Procedure(engine)


def values(**changes) -> dict:
    """What the intake form sends for a typical suggestion (strings, as a browser sends them)."""
    sent = dict(item_type="suggestion", session="十七届五次", timing="session", item_no="123",
                title="关于改善城区公交线路的建议", body="一、现状\n城区公交线路覆盖不足。\n二、建议\n增开班次。",
                category="交通运输", subcategory="公共交通", proposer_type="joint", proposer="deputy",
                proposer_name="", co_signers=["cosigner"], co_signer_names="张三、李四",
                contact="13800000000，城区人民路1号", suggested_units="市交通运输局", source="manual",
                key_source="none", key_leader="", publication_consent="on", proposer_requested_face_to_face="",
                received_on="2026-11-20")
    sent.update(changes)
    return sent


def count(engine, model) -> int:
    with engine.db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


# --- registering ----------------------------------------------------------------------------------------

def test_register_stores_the_item_and_starts_its_process(city):
    engine, office = city.engine, city.user("office")
    item = register_item(engine, values(), office)

    assert (item.item_type, item.session, item.timing, item.item_no) == ("suggestion", "十七届五次", "session", 123)
    assert (item.title, item.category, item.subcategory) == ("关于改善城区公交线路的建议", "交通运输", "公共交通")
    assert item.body.startswith("一、现状\n")
    assert (item.proposer_type, item.proposer, item.proposer_name) == ("joint", "deputy", "刘代表")
    assert item.co_signers == ["cosigner"] and item.co_signer_names == ["陈代表", "张三", "李四"]
    assert (item.contact, item.suggested_units, item.source) == ("13800000000，城区人民路1号", "市交通运输局", "manual")
    assert (item.is_key, item.key_source, item.key_leader) == (False, "none", "")
    assert item.publication_consent is True and item.proposer_requested_face_to_face is False
    assert item.received_on == date(2026, 11, 20) and item.created_by == "office" and item.created_at is not None

    with engine.db.read() as s:
        inst = s.get(Instance, item.instance_id)
        assert (inst.process_key, inst.business_key, inst.title, inst.started_by_id) == (
            "item_handling", "suggestion-十七届五次-123", "关于改善城区公交线路的建议", office.id)
        started = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == inst.id,
                                                     AuditEvent.action == "instance_started")).one()
        assert started.actor_id == office.id

    city.instance_id = item.instance_id
    assert city.open_summary() == [("intake_review", None)]
    assert city.claimants("intake_review") == {"office", "office2"}
    data = city.data()
    expected = dict(item_type="suggestion", item_type_label="人大建议", session="十七届五次", timing="session",
                    item_no=123, display_no="第0123号", title="关于改善城区公交线路的建议", category="交通运输",
                    subcategory="公共交通", source="manual", proposer_type="joint", proposer="deputy",
                    proposer_name="刘代表", co_signers=["cosigner"], co_signer_names=["陈代表", "张三", "李四"],
                    is_key=False, key_source="none", key_leader="", publication_consent=True,
                    proposer_requested_face_to_face=False, received_on="2026-11-20",
                    business_key="suggestion-十七届五次-123", initiator="office")
    assert {k: data[k] for k in expected} == expected
    # Long texts and personal details stay in the item's row, out of the workflow state.
    # `suggested_units` is the decision table's output: the proposer's text must not pre-empt it.
    assert not {"body", "contact", "suggested_units"} & data.keys()


def test_the_registered_item_runs_through_intake_and_assignment(city):
    item = register_item(city.engine, values(key_source="npc_cppcc", key_leader="张副市长",
                                             proposer_requested_face_to_face="on"), city.user("office"))
    city.instance_id = item.instance_id
    assert (item.is_key, item.key_leader, item.proposer_requested_face_to_face) == (True, "张副市长", True)
    assert city.task("intake_review").form_data["is_key"] is True
    assert city.task("intake_review").form_data["key_source"] == "npc_cppcc"
    register(city, mode="single", lead="jtj")
    assert city.open_summary() == [("check_remit", "jtj")]
    assert city.claimants("check_remit", "jtj") == {"jtj_liaison"}


def test_received_on_defaults_to_today_and_a_typed_name_needs_no_account(city):
    item = register_item(city.engine, values(proposer_type="collective", proposer="", proposer_name="民盟市委",
                                             co_signers=[], co_signer_names="", received_on="", item_type="proposal",
                                             session="十一届四次", timing="recess"), city.user("office"))
    assert item.received_on == city.engine.clock.today()
    assert (item.proposer, item.proposer_name, item.co_signers, item.co_signer_names) == (None, "民盟市委", [], [])
    city.instance_id = item.instance_id
    assert city.data()["proposer"] is None and city.data()["received_on"] == item.received_on.isoformat()
    # A refusal is told to the reviewers (提案委 for a proposal) even with no proposer account.
    city.do("intake_review", "office", intake_decision="reject", category="交通运输", intake_reason="不属于本级职权")
    assert city.notices("cppcc_reviewer") == ["不予立案：关于改善城区公交线路的建议"]
    assert city.status() == "completed"


def test_python_values_are_accepted_as_they_are(city):
    item = register_item(city.engine, values(item_no=7, received_on=date(2026, 11, 2), co_signers="cosigner, member",
                                             publication_consent=False, is_key=False, co_signer_names=None),
                         city.user("office"))
    assert (item.item_no, item.received_on, item.co_signers) == (7, date(2026, 11, 2), ["cosigner", "member"])
    assert item.co_signer_names == ["陈代表", "吴委员"] and item.publication_consent is False


# --- checks ---------------------------------------------------------------------------------------------

def test_every_missing_field_is_reported_at_once(city):
    with pytest.raises(ItemInvalid) as refused:
        register_item(city.engine, {}, city.user("office"))
    assert refused.value.errors == {
        "item_type": "请选择类型（人大建议、政协提案或议案转建议）。",
        "session": "请填写届次，如“十七届五次”。",
        "timing": "请选择提出时间（大会期间、闭会期间或日常来信来访）。",
        "item_no": "请填写编号（正整数，如 123）。",
        "title": "请填写案由。",
        "body": "请填写正文。",
        "category": "请选择类别。",
        "proposer_type": "请选择提出方式（个人、联名或集体）。",
        "proposer_name": "请选择领衔人，或填写领衔人（提出单位）的名称。",
    }
    assert "请填写案由" in str(refused.value)
    assert count(city.engine, Item) == 0 and count(city.engine, Instance) == 0


@pytest.mark.parametrize("changes, field, message", [
    (dict(item_type="motion"), "item_type", "请选择类型"),
    (dict(timing="sometime"), "timing", "请选择提出时间"),
    (dict(item_no="abc"), "item_no", "编号“abc”不是正整数"),
    (dict(item_no="0"), "item_no", "编号应在 1 至 99999 之间"),
    (dict(item_no="100000"), "item_no", "编号应在 1 至 99999 之间"),
    (dict(category="交通"), "category", "请选择类别"),
    (dict(source="fax"), "source", "请选择来源渠道"),
    (dict(proposer_type="group"), "proposer_type", "请选择提出方式"),
    (dict(proposer="nobody"), "proposer", "“nobody”不是系统中的代表或委员"),
    (dict(proposer="jtj_handler"), "proposer", "“jtj_handler”不是系统中的代表或委员"),
    (dict(co_signers=["cosigner", "office"]), "co_signers", "附议人/联名人中“office”不是系统中的代表或委员"),
    (dict(co_signers=["deputy"]), "co_signers", "领衔人不能同时是附议人/联名人"),
    (dict(co_signers=[], co_signer_names=""), "co_signers", "联名提出的，请选择或填写联名人"),
    (dict(received_on="2026-13-01"), "received_on", "收件日期应为日期"),
    (dict(key_source="city"), "key_source", "请选择重点来源"),
    (dict(is_key="on", key_source="none"), "key_source", "标记为重点事项的，请选择重点来源"),
    (dict(title="长" * 301), "title", "案由不能超过 300 个字（现为 301 个字）"),
    (dict(session="十七届五次" * 7), "session", "届次不能超过 32 个字"),
])
def test_each_field_is_checked(city, changes, field, message):
    with pytest.raises(ItemInvalid) as refused:
        register_item(city.engine, values(**changes), city.user("office"))
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field]
    assert count(city.engine, Item) == 0 and count(city.engine, Instance) == 0


def test_a_received_date_in_the_future_is_refused(city):
    tomorrow = city.engine.clock.today() + timedelta(days=1)
    with pytest.raises(ItemInvalid) as refused:
        register_item(city.engine, values(received_on=tomorrow.isoformat()), city.user("office"))
    assert refused.value.errors == {"received_on": f"收件日期不能晚于今天（{city.engine.clock.today().isoformat()}）。"}


def test_an_inactive_deputy_cannot_be_named(city):
    from webapp.models import User
    with city.engine.db.write() as s:
        s.execute(User.__table__.update().where(User.username == "cosigner").values(active=False))
    with pytest.raises(ItemInvalid) as refused:
        register_item(city.engine, values(), city.user("office"))
    assert refused.value.errors == {"co_signers": "附议人/联名人中“cosigner”不是系统中的代表或委员。"}


# --- numbers --------------------------------------------------------------------------------------------

def test_numbers_read_and_key_the_same_way_everywhere():
    assert display_number(123) == "第0123号" and display_number(12345) == "第12345号"
    assert item_label("proposal", "十一届四次", 5) == "政协提案 十一届四次 第0005号"
    assert business_key("suggestion", "十七届五次", 123) == "suggestion-十七届五次-123"


def test_a_number_is_unique_per_type_and_session(city):
    office = city.user("office")
    register_item(city.engine, values(), office)
    with pytest.raises(ItemInvalid) as refused:
        register_item(city.engine, values(item_no="0123", title="另一件"), office)
    assert refused.value.errors == {"item_no": "人大建议 十七届五次 第0123号 已经存在，请核对编号。"}
    register_item(city.engine, values(item_type="proposal"), office)   # the same number, another type
    register_item(city.engine, values(session="十七届六次"), office)     # the same number, another session
    assert count(city.engine, Item) == 3 and count(city.engine, Instance) == 3


def test_an_instance_started_without_an_item_blocks_its_number(city):
    city.start()  # the test driver starts item_handling directly with the business key of 十七届五次 第123号
    with pytest.raises(ItemInvalid) as refused:
        register_item(city.engine, values(), city.user("office"))
    assert refused.value.errors == {"item_no": "人大建议 十七届五次 第0123号 已经存在，请核对编号。"}
    assert count(city.engine, Item) == 0 and count(city.engine, Instance) == 1


# --- one transaction ------------------------------------------------------------------------------------

def test_a_start_that_fails_leaves_no_item_and_no_instance(city, monkeypatch):
    real_start = city.engine.runtime.start_in

    def start_then_fail(session, *args, **kwargs):
        real_start(session, *args, **kwargs)  # the instance, its first task and audit records are written…
        raise EngineError("启动失败（测试）")   # …and then the start fails

    monkeypatch.setattr(city.engine.runtime, "start_in", start_then_fail)
    with pytest.raises(EngineError, match="启动失败（测试）"):
        register_item(city.engine, values(), city.user("office"))
    for model in (Item, Instance, HumanTask, AuditEvent, Job):
        assert count(city.engine, model) == 0, model.__name__


def test_an_item_that_cannot_be_stored_takes_its_instance_with_it(city, monkeypatch):
    """Two clerks registering the same number at once: the second item row violates the unique number;
    its instance (under another business key here, to get that far) is rolled back with it."""
    office = city.user("office")
    register_item(city.engine, values(), office)
    monkeypatch.setattr(intake, "_exists", lambda session, columns: False)  # the check ran before the other commit
    monkeypatch.setattr(intake, "business_key", lambda *parts: "suggestion-race")
    with pytest.raises(ItemInvalid) as refused:
        register_item(city.engine, values(), office)
    assert refused.value.errors == {"item_no": "人大建议 十七届五次 第0123号 已经存在，请核对编号。"}
    with city.engine.db.read() as s:
        assert s.scalars(select(Instance.business_key)).all() == ["suggestion-十七届五次-123"]
    assert count(city.engine, Item) == 1


def test_without_the_deployed_process_nothing_is_stored(engine, people):
    with pytest.raises(EngineError, match="流程“item_handling”尚未部署"):
        register_item(engine, dict(values(proposer="", co_signers=[], proposer_name="刘代表", proposer_type="individual")),
                      people["admin"])
    assert count(engine, Item) == 0


# --- who sees which item --------------------------------------------------------------------------------

def test_who_sees_which_item(city):
    office = city.user("office")
    bus = register_item(city.engine, values(), office)                                      # deputy + cosigner
    school = register_item(city.engine, values(item_no="124", title="关于扩建城东小学的建议", category="教育科技",
                                               proposer="member", proposer_type="individual", co_signers=[],
                                               co_signer_names=""), office)
    city.instance_id = bus.instance_id
    register(city, mode="single", lead="jtj")  # the bus item goes to 市交通运输局

    def seen(username, **filters):
        with city.engine.db.read() as s:
            page = find_items(s, city.user(username), ItemFilters(**filters))
            return [item.item_no for item, _status in page.rows]

    for username in ("office", "office2", "npc_reviewer", "cppcc_reviewer"):
        assert seen(username) == [124, 123], username
    assert seen("deputy") == [123] and seen("cosigner") == [123] and seen("member") == [124]
    assert seen("jtj_handler") == [123] and seen("jtj_liaison") == [123]  # any role in the unit
    assert seen("jyj_handler") == [] and seen("vice_mayor") == []
    assert school.instance_id != bus.instance_id


def test_search_and_current_steps(city):
    office = city.user("office")
    bus = register_item(city.engine, values(), office)
    school = register_item(city.engine, values(item_no="124", title="关于扩建城东小学的建议", category="教育科技",
                                               item_type="proposal", session="十一届四次", proposer="member",
                                               proposer_type="individual", co_signers=[], co_signer_names=""), office)
    city.instance_id = bus.instance_id
    register(city, mode="lead_co", lead="jtj", co=["zjj"])

    def found(**filters):
        with city.engine.db.read() as s:
            page = find_items(s, office, ItemFilters(**filters))
            return [item.item_no for item, _status in page.rows], page.steps

    assert found(q="公交")[0] == [123]
    assert found(q="第0124号")[0] == [124] and found(q="0124")[0] == [124] and found(q="124")[0] == [124]
    assert found(q="刘代表")[0] == [123] and found(q="吴委员")[0] == [124]
    assert found(q="张三")[0] == [123]          # a co-signer without an account
    assert found(q="陈代表")[0] == [123]        # a co-signer with one
    assert found(q="100%")[0] == []             # a literal %, not a wildcard
    assert found(item_type="proposal")[0] == [124]
    assert found(category="交通运输")[0] == [123]
    assert found(session="十七届五次")[0] == [123]
    rows, steps = found()
    assert rows == [124, 123]
    assert steps == {bus.instance_id: ["签收核对：是否属于本单位职责（市交通运输局）",
                                      "签收核对：是否属于本单位职责（市住房和城乡建设局）"],
                     school.instance_id: ["分类甄选／快速审查"]}


# --- the generic start list -----------------------------------------------------------------------------

def test_only_processes_people_start_on_their_own_are_offered(city):
    with city.engine.db.read() as s:
        offered = [p.process_key for p in city.engine.repository.startable_processes(s)]
        assert sorted(offered) == ["annual_summary", "item_handling"]  # not the called ones
        offered = [p.process_key for p in city.engine.repository.startable_processes(s, exclude={ITEM_PROCESS})]
        assert offered == ["annual_summary"]


def test_a_process_left_out_of_the_latest_deployment_is_not_offered(engine, people):
    from tests.conftest import diagram
    engine.repository.deploy([diagram("approval.bpmn"), diagram("service.bpmn")])
    engine.repository.deploy([diagram("approval.bpmn")])
    with engine.db.read() as s:
        assert [p.process_key for p in engine.repository.startable_processes(s)] == ["approval"]


def test_key_label_shows_an_item_key_as_people_read_it():
    from webapp.items.numbering import key_label
    assert key_label(business_key("suggestion", "十七届五次", 61)) == "人大建议 十七届五次 第0061号"
    assert key_label(business_key("proposal", "十七届-五次", 8)) == "政协提案 十七届-五次 第0008号"
    # keys of other processes, and anything not shaped like an item's key, are shown unchanged
    assert [key_label(k) for k in ("JY-2026-0088", "suggestion-x", "suggestion--1", "")] == [
        "JY-2026-0088", "suggestion-x", "suggestion--1", ""]
