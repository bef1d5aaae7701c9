"""协商记录 on the item page (webapp/web/consultations.py): everyone who may see the item sees the units'
consultation records and their status; only the lead proposer confirms or disputes, once each."""
import re

import pytest
from sqlalchemy import select

from tests.procedure.driver import accept, consult, dispatch, handle, register
from webapp.items import register_item
from webapp.models import ConsultationRecord


@pytest.fixture
def consulted(procedure):
    """An item of 刘代表 (deputy), co-signed by 陈代表 (cosigner), after 办前协商 and 办中协商 by 市交通运输局:
    returns (instance id, [id of the 办前 record, id of the 办中 record])."""
    values = dict(item_type="suggestion", session="十七届五次", timing="session", item_no="123",
                  title="关于改善城区公交线路的建议", body="公交线路覆盖不足，建议增开班次。", category="交通运输",
                  proposer_type="joint", proposer="deputy", co_signers="cosigner", contact="13800000000",
                  source="manual", key_source="none")
    item = register_item(procedure.engine, values, procedure.user("office"))
    procedure.instance_id = item.instance_id
    procedure.work()
    register(procedure)
    accept(procedure, "jtj")
    dispatch(procedure, "jtj")
    consult(procedure, "jtj", method="visit")
    handle(procedure, "jtj", method="phone")
    rows = stored(procedure.engine, item.instance_id)
    assert [(r.stage, r.status) for r in rows] == [("before", "pending"), ("during", "pending")]
    return item.instance_id, [r.id for r in rows]


def stored(engine, instance_id) -> list[ConsultationRecord]:
    with engine.db.read() as s:
        return list(s.scalars(select(ConsultationRecord).where(ConsultationRecord.instance_id == instance_id)
                              .order_by(ConsultationRecord.id)))


def answers(engine, instance_id) -> list[tuple]:
    return [(r.status, r.confirmed_by, r.proposer_comment) for r in stored(engine, instance_id)]


def card(html: str) -> str:
    match = re.search(r'<section class="card consultations" id="consultations".*?</section>', html, re.S)
    assert match, "no 协商记录 card on the page"
    return match.group(0)


def row(html: str, record_id: int) -> str:
    match = re.search(r'<tr id="consultation-%d".*?</tr>' % record_id, card(html), re.S)
    assert match, f"no row for record {record_id}"
    return match.group(0)


def test_everyone_who_sees_the_item_sees_the_records_and_only_the_proposer_may_answer(login, consulted):
    instance_id, (before, during) = consulted
    page = login("deputy").get(f"/instances/{instance_id}").get_data(as_text=True)
    first = row(page, before)
    for text in ("2026-11-24", "市交通运输局", "办前协商", "走访", "刘代表", "了解代表的意图和诉求", "待确认"):
        assert text in first
    assert "办中协商" in row(page, during) and "通报办理进展" in row(page, during)
    assert f'action="/consultations/{before}/confirm"' in page
    assert f'action="/consultations/{before}/dispute"' in page
    assert "待确认 2 条" in card(page)
    for username in ("cosigner", "office", "jtj_handler", "npc_reviewer"):
        response = login(username).get(f"/instances/{instance_id}")
        assert response.status_code == 200, username
        html = response.get_data(as_text=True)
        assert "了解代表的意图和诉求" in row(html, before), username
        assert "/consultations/" not in html, username  # no answer forms for anyone else


def test_the_proposer_confirms_and_the_unit_sees_it(login, consulted, engine):
    instance_id, (before, during) = consulted
    deputy = login("deputy")
    response = deputy.post(f"/consultations/{before}/confirm", data={})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/instances/{instance_id}#consultations")
    assert "已确认协商记录" in deputy.get(response.headers["Location"]).get_data(as_text=True)
    assert answers(engine, instance_id) == [("confirmed", "deputy", ""), ("pending", None, "")]
    [record, _] = stored(engine, instance_id)
    assert record.confirmed_at is not None
    page = login("jtj_handler").get(f"/instances/{instance_id}").get_data(as_text=True)
    assert 'data-status="confirmed"' in row(page, before) and "已确认" in row(page, before)
    assert "待确认" in row(page, during)
    mine = deputy.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert f"/consultations/{before}/" not in mine and f"/consultations/{during}/confirm" in mine


def test_the_proposer_disputes_with_a_comment_and_the_office_sees_it_in_red(login, consulted, engine):
    instance_id, (before, _during) = consulted
    deputy = login("deputy")
    refused = deputy.post(f"/consultations/{before}/dispute", data={"comment": "   "})
    assert refused.status_code == 422
    assert "选择“有异议”时请说明与实际情况不符之处" in row(refused.get_data(as_text=True), before)
    too_long = deputy.post(f"/consultations/{before}/dispute", data={"comment": "异" * 1001})
    assert too_long.status_code == 422
    html = too_long.get_data(as_text=True)
    assert "意见不能超过 1000 个字（现为 1001 个字）" in html
    assert "异" * 1001 in html  # what he typed is still in the form
    assert answers(engine, instance_id)[0] == ("pending", None, "")

    response = deputy.post(f"/consultations/{before}/dispute", data={"comment": "未与我本人协商，是电话联系了秘书"})
    assert response.status_code == 302
    assert answers(engine, instance_id)[0] == ("disputed", "deputy", "未与我本人协商，是电话联系了秘书")
    for username in ("office", "jtj_handler"):
        page = login(username).get(f"/instances/{instance_id}").get_data(as_text=True)
        disputed = row(page, before)
        assert 'data-status="disputed"' in disputed
        assert '<span class="tag tag-red" data-testid="consultation-status">有异议</span>' in disputed
        assert "未与我本人协商，是电话联系了秘书" in disputed
        assert "有异议 1 条" in card(page)


def test_nobody_else_may_answer(login, consulted, engine):
    instance_id, (before, _during) = consulted
    for username in ("office", "cosigner", "jtj_handler", "admin"):
        response = login(username).post(f"/consultations/{before}/confirm", data={})
        assert response.status_code == 403, username
        assert "只有该件建议提案的领衔人本人可以确认协商记录" in response.get_data(as_text=True)
        response = login(username).post(f"/consultations/{before}/dispute", data={"comment": "代为提出"})
        assert response.status_code == 403, username
    assert answers(engine, instance_id) == [("pending", None, ""), ("pending", None, "")]


def test_an_unknown_record_is_not_found(login, consulted):
    response = login("deputy").post("/consultations/999999/confirm", data={})
    assert response.status_code == 404
    assert "协商记录 999999 不存在" in response.get_data(as_text=True)


def test_a_record_is_answered_once(login, consulted, engine):
    instance_id, (before, _during) = consulted
    deputy = login("deputy")
    assert deputy.post(f"/consultations/{before}/confirm", data={}).status_code == 302
    [first, _] = stored(engine, instance_id)
    again = deputy.post(f"/consultations/{before}/confirm", data={})
    assert again.status_code == 409
    assert re.search(r"该协商记录已于 \d{4}-\d\d-\d\d \d\d:\d\d 确认，不能再次确认或提出异议。",
                     row(again.get_data(as_text=True), before))
    changed_mind = deputy.post(f"/consultations/{before}/dispute", data={"comment": "改变主意"})
    assert changed_mind.status_code == 409
    [after, _] = stored(engine, instance_id)
    assert (after.status, after.confirmed_at, after.proposer_comment) == ("confirmed", first.confirmed_at, "")


def test_answers_need_the_csrf_token(app, login, consulted, engine):
    instance_id, (before, _during) = consulted
    deputy = login("deputy")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = deputy.post(f"/consultations/{before}/confirm", data={})
        assert response.status_code == 400
        page = deputy.get(f"/instances/{instance_id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', card(page)).group(1)
        assert deputy.post(f"/consultations/{before}/confirm", data={"csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert answers(engine, instance_id)[0][0] == "confirmed"


def test_the_task_page_has_the_case_at_hand(login, consulted, procedure):
    """Whoever drafts or reviews the reply sees the item, its consultation records and its files under the form."""
    instance_id, record_ids = consulted
    task = procedure.task("draft_reply", "jtj")
    html = login("jtj_handler").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert '<a href="#case">案情材料</a>' in html and 'id="case"' in html
    assert 'data-testid="item-card"' in html and "公交线路覆盖不足，建议增开班次。" in html
    assert "13800000000" in html  # the unit given the item may contact the proposer
    assert 'data-testid="item-progress"' not in html  # the progress line is the item page's
    for record_id in record_ids:
        row(html, record_id)
    assert 'action="/consultations/' not in html  # only the lead proposer answers, and not here
    assert f'href="/instances/{instance_id}"' in html
