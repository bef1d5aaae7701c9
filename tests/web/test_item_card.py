"""The 事项信息 card at the top of an item's page: the registration record in Chinese, the units with their
roles and deadlines, the contact details only for those who may read them, and a progress line for
deputies and members."""
import re

import pytest

from tests.procedure.driver import accept, register
from webapp.items import register_item

from .pages import text_of

CONTACT = "13800000000，城区人民路1号"
BODY = "一、现状\n城区公交线路覆盖不足。\n二、建议\n增开班次。"


@pytest.fixture
def city(procedure):
    """The small city of tests/procedure/driver.py under the web app (`login` and `procedure`: conftest.py)."""
    return procedure


def values(**changes) -> dict:
    sent = dict(item_type="suggestion", session="十七届五次", timing="session", item_no="123", received_on="2026-11-20",
                source="manual", title="关于改善城区公交线路的建议", body=BODY, category="交通运输",
                subcategory="公共交通", suggested_units="市交通运输局\n市住房和城乡建设局", proposer_type="joint",
                proposer="deputy", proposer_name="", co_signers=["cosigner"], co_signer_names="张三", contact=CONTACT,
                key_source="npc_cppcc", key_leader="郑副市长", publication_consent="on",
                proposer_requested_face_to_face="on")
    sent.update(changes)
    return sent


@pytest.fixture
def bus(city):
    """第123号 of 刘代表 with 陈代表 and 张三, a key item, assigned to 市交通运输局 alone and accepted there."""
    item = register_item(city.engine, values(), city.user("office"))
    city.instance_id = item.instance_id
    register(city, mode="single", lead="jtj", is_key=True, key_source="npc_cppcc")
    accept(city, "jtj")
    return item


def card_of(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    found = re.search(r'<section class="card item-card" data-testid="item-card">.*?</section>', html, re.S)
    assert found, "no 事项信息 card on the page"
    return found.group(0)


def stages(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-stage="([^"]+)" data-state="([^"]+)"', html)


def test_the_card_shows_the_item_in_chinese(login, bus):
    html = card_of(login("office").get(f"/instances/{bus.instance_id}"))
    text = text_of(html)
    assert "事项信息 人大建议 十七届五次 第0123号 重点" in text
    for label, value in [("案由", "关于改善城区公交线路的建议"), ("类型", "人大建议"), ("届次", "十七届五次"),
                         ("提出时间", "大会期间"), ("编号", "第0123号"), ("类别", "交通运输 / 公共交通"),
                         ("提出方式", "联名"), ("领衔人", "刘代表"), ("来源渠道", "办公室录入"),
                         ("收件日期", "2026-11-20"), ("重点督办", "人大、政协确定的重点督办"), ("领办领导", "郑副市长"),
                         ("同意公开", "是"), ("要求面商", "是"), ("附议人／联名人", "陈代表、张三"),
                         ("联系方式", CONTACT)]:
        assert f"{label} {value}" in text, (label, text)
    assert "建议承办单位（代表委员所提） 市交通运输局 市住房和城乡建设局" in text
    # the body keeps its line breaks (shown pre-wrapped, not run together)
    assert re.search(r'data-testid="item-body">一、现状\n城区公交线路覆盖不足。\n二、建议\n增开班次。</div>', html)
    units = re.search(r'data-testid="item-units">.*?</table>', html, re.S).group(0)
    row = text_of(units)
    assert re.search(r"市交通运输局 单办 \d{4}-\d{2}-\d{2} \d{4}-\d{2}-\d{2} \d{4}-\d{2}-\d{2} — 办理中", row), row
    assert stages(html) == []  # the progress line is for deputies and members


def test_a_co_unit_is_listed_with_its_role(login, city):
    item = register_item(city.engine, values(key_source="none", key_leader=""), city.user("office"))
    city.instance_id = item.instance_id
    register(city, mode="lead_co", lead="jtj", co=["zjj"])
    text = text_of(card_of(login("office").get(f"/instances/{item.instance_id}")))
    assert re.search(r"市交通运输局 主办 \d{4}-\d{2}-\d{2} — \d{4}-\d{2}-\d{2} — 待签收", text), text
    assert "市住房和城乡建设局 协办" in text
    assert "重点督办 否" in text and "领办领导" not in text


@pytest.mark.parametrize("username, sees_contact", [
    ("office", True), ("npc_reviewer", True), ("cppcc_reviewer", True),
    ("deputy", True),          # the lead proposer himself
    ("jtj_handler", True), ("jtj_liaison", True),   # the unit the item was given
    ("cosigner", False),       # a co-signer sees the item, not the lead proposer's contact details
])
def test_contact_details_only_for_those_entitled(login, bus, username, sees_contact):
    response = login(username).get(f"/instances/{bus.instance_id}")
    html = card_of(response)
    assert ("联系方式" in html) is sees_contact
    assert (CONTACT in response.get_data(as_text=True)) is sees_contact  # nowhere else on the page either


@pytest.mark.parametrize("username", ["member", "jyj_handler"])
def test_a_deputy_or_unit_unrelated_to_the_item_cannot_open_it(login, bus, username):
    response = login(username).get(f"/instances/{bus.instance_id}")
    assert response.status_code == 403
    assert CONTACT not in response.get_data(as_text=True)


def test_a_deputy_follows_his_item_on_the_progress_line(login, city):
    item = register_item(city.engine, values(), city.user("office"))
    city.instance_id = item.instance_id
    deputy = login("deputy")
    page = f"/instances/{item.instance_id}"
    assert stages(card_of(deputy.get(page))) == [
        ("登记", "done"), ("立案", "current"), ("交办", "todo"), ("办理", "todo"), ("答复", "todo"), ("测评", "todo"),
        ("办结", "todo")]
    register(city, mode="single", lead="jtj", is_key=True, key_source="npc_cppcc")
    assert stages(card_of(deputy.get(page)))[:4] == [("登记", "done"), ("立案", "done"), ("交办", "done"),
                                                     ("办理", "current")]
    accept(city, "jtj")
    html = card_of(deputy.get(page))
    assert stages(html)[3:5] == [("办理", "done"), ("答复", "current")]
    assert re.search(r'data-stage="交办" data-state="done">\s*<span class="stage-label">交办</span>\s*'
                     r'<span class="stage-note">\d{4}-\d{2}-\d{2}</span>', html)
    assert "进行中" in text_of(html)
    # a co-signer follows it too
    assert stages(card_of(login("cosigner").get(page)))[4] == ("答复", "current")


def test_an_item_not_registered_ends_at_intake_on_the_progress_line(login, city):
    item = register_item(city.engine, values(), city.user("office"))
    city.instance_id = item.instance_id
    city.do("intake_review", "office", intake_decision="reject", category="交通运输", intake_reason="不属于本级政府职权")
    assert stages(card_of(login("deputy").get(f"/instances/{item.instance_id}"))) == [
        ("登记", "done"), ("不予立案", "stopped")]


def test_the_office_changes_show_on_the_card(login, city):
    item = register_item(city.engine, values(key_source="none", key_leader=""), city.user("office"))
    city.instance_id = item.instance_id
    city.do("intake_review", "office", intake_decision="register", category="城乡建设", is_key=True,
            key_source="npc_cppcc")
    page = login("office").get(f"/instances/{item.instance_id}")
    text = text_of(card_of(page))
    assert "类别 城乡建设 / 公共交通" in text and "重点督办 人大、政协确定的重点督办" in text
    assert ("系统 更新事项登记信息 更新事项登记信息 变化 ： 类别 ：交通运输 → 城乡建设 重点 ：否 → 是 "
            "重点来源 ：非重点 → 人大、政协确定的重点督办") in text_of(page)  # the history row


def test_other_processes_have_no_card(login, city):
    instance_id = city.start()  # the main process without an item record (a diagram test run)
    response = login("office").get(f"/instances/{instance_id}")
    assert response.status_code == 200
    assert 'data-testid="item-card"' not in response.get_data(as_text=True)
