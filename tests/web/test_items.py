"""Items in the browser: the office's intake form, the item list with search and its role scoping, and
the generic start form that no longer starts the main process or called processes."""
import re

import pytest
from sqlalchemy import func, select

from tests.procedure.driver import Procedure, register
from webapp import create_app
from webapp.items import register_item
from webapp.models import Instance, Item

from .pages import read_form, text_of


@pytest.fixture
def city(engine):
    return Procedure(engine)


@pytest.fixture
def app(settings, city):
    app = create_app(settings, city.engine)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture
def login(app):
    def _login(username):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": "secret"})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return _login


def form(**changes) -> dict:
    sent = dict(item_type="suggestion", session="十七届五次", timing="session", item_no="123", received_on="2026-11-20",
                source="manual", title="关于改善城区公交线路的建议", body="一、现状\n公交线路覆盖不足。\n二、建议\n增开班次。",
                category="交通运输", subcategory="", suggested_units="", proposer_type="joint", proposer="deputy",
                proposer_name="", co_signers=["cosigner"], co_signer_names="张三", contact="13800000000",
                key_source="none", key_leader="", publication_consent="on")
    sent.update(changes)
    return {k: v for k, v in sent.items() if v is not None}


def items(engine) -> list[Item]:
    with engine.db.read() as s:
        return list(s.scalars(select(Item).order_by(Item.id)))


def count_instances(engine) -> int:
    with engine.db.read() as s:
        return s.scalar(select(func.count()).select_from(Instance))


# --- the intake form ------------------------------------------------------------------------------------

def test_the_office_registers_an_item(login, city):
    client = login("office")
    page = client.get("/items/new")
    assert page.status_code == 200
    text = text_of(page)
    for label in ("类型", "届次", "编号", "提出时间", "来源渠道", "收件日期", "案由", "正文", "类别", "子类", "建议承办单位",
                  "提出方式", "领衔人（系统用户）", "领衔人（提出单位）名称", "附议人／联名人（系统用户）", "联系方式",
                  "重点督办", "领办领导", "代表委员同意公开答复", "代表委员明确要求面商"):
        assert label in text, label
    values, widgets = read_form(page)
    assert "csrf_token" in values
    assert (values["source"], values["key_source"], values["proposer_type"]) == ("manual", "none", "individual")
    assert values["publication_consent"] == "on" and values["co_signers"] == []
    html = page.get_data(as_text=True)
    assert html.count('name="co_signers"') == 3  # the three deputies and members of the city
    lead_options = re.findall(r'<option value="(\w+)"', html.split('id="i-proposer"')[1].split("</select>")[0])
    assert sorted(lead_options) == ["cosigner", "deputy", "member"]  # only users with role proposer
    assert "刘代表（deputy）" in text and "吴委员（member）" in text
    assert all(f'<option value="{c}"' in html for c in ("经济发展", "交通运输", "政务服务", "其他"))

    response = client.post("/items/new", data=form())
    assert response.status_code == 302
    [item] = items(city.engine)
    assert response.headers["Location"].endswith(f"/instances/{item.instance_id}")
    page = text_of(client.get(response.headers["Location"]))
    assert "已登记 人大建议 十七届五次 第0123号，下一步：分类甄选／快速审查。" in page
    assert (item.item_no, item.proposer_name, item.co_signers, item.co_signer_names) == (123, "刘代表", ["cosigner"],
                                                                                       ["陈代表", "张三"])
    assert item.body == "一、现状\n公交线路覆盖不足。\n二、建议\n增开班次。" and item.created_by == "office"


def test_mistakes_are_explained_by_the_fields_and_nothing_typed_is_lost(login, city):
    client = login("office")
    sent = form(title="", item_no="12a", received_on="2999-01-01", co_signers=["cosigner", "member"],
                key_source="npc_cppcc", key_leader="张副市长", publication_consent=None,
                proposer_requested_face_to_face="on", subcategory="公共交通")
    response = client.post("/items/new", data=sent)
    assert response.status_code == 422
    text = text_of(response)
    assert "有 3 处需要修改" in text
    assert "请填写案由。" in text and "编号“12a”不是正整数。" in text and "收件日期不能晚于今天" in text
    html = response.get_data(as_text=True)
    assert re.search(r'data-field="title">.*?请填写案由', html, re.S)
    assert 'aria-invalid="true" aria-describedby="i-item_no-error"' in html

    values, _ = read_form(response)
    for key in ("item_type", "session", "timing", "item_no", "received_on", "source", "title", "category",
                "subcategory", "proposer_type", "proposer", "co_signer_names", "contact", "key_source", "key_leader"):
        assert values[key] == sent[key], key
    assert values["body"] == sent["body"]
    assert sorted(values["co_signers"]) == ["cosigner", "member"]
    assert values["publication_consent"] == [] and values["proposer_requested_face_to_face"] == "on"
    assert items(city.engine) == [] and count_instances(city.engine) == 0


def test_a_number_taken_already_is_refused_on_the_form(login, city):
    client = login("office")
    assert client.post("/items/new", data=form()).status_code == 302
    response = client.post("/items/new", data=form(item_no="0123", title="重复登记"))
    assert response.status_code == 422
    assert "人大建议 十七届五次 第0123号 已经存在，请核对编号。" in text_of(response)
    assert read_form(response)[0]["title"] == "重复登记"
    assert len(items(city.engine)) == 1


def test_only_the_office_registers_items(login, city):
    for username in ("deputy", "jtj_liaison", "npc_reviewer"):
        client = login(username)
        page = client.get("/items/new")
        assert page.status_code == 403 and "只有市政府办公室可以登记建议、提案" in text_of(page)
        assert client.post("/items/new", data=form()).status_code == 403
        assert "新建事项" not in text_of(client.get("/items"))
    assert items(city.engine) == []
    nav = text_of(login("office").get("/items"))
    assert "新建事项" in nav and "流程实例" in nav


def test_the_form_needs_its_csrf_token(settings, city):
    app = create_app(settings, city.engine)
    app.config.update(TESTING=True)  # CSRF protection stays on
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "office", "password": "secret", "csrf_token": token})
    response = client.post("/items/new", data=form())
    assert response.status_code == 400 and "页面已过期" in text_of(response)
    assert items(city.engine) == []
    page = client.get("/items/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/items/new", data={**form(), "csrf_token": token}).status_code == 302


# --- the list -------------------------------------------------------------------------------------------

@pytest.fixture
def two_items(city):
    """十七届五次 第123号 (刘代表 with 陈代表, assigned to 市交通运输局) and 政协提案 十一届四次 第45号 (吴委员)."""
    office = city.user("office")
    bus = register_item(city.engine, form(), office)
    school = register_item(city.engine, form(item_type="proposal", session="十一届四次", item_no="45",
                                             title="关于扩建城东小学的提案", category="教育科技", proposer="member",
                                             proposer_type="individual", co_signers=[], co_signer_names=""), office)
    city.instance_id = bus.instance_id
    register(city, mode="single", lead="jtj")
    return bus, school


def test_the_list_shows_numbers_proposers_and_current_steps(login, two_items):
    page = text_of(login("office").get("/items"))
    assert "人大建议 十七届五次 第0123号" in page and "政协提案 十一届四次 第0045号" in page
    assert "关于改善城区公交线路的建议" in page and "关于扩建城东小学的提案" in page
    assert "刘代表" in page and "附议／联名：陈代表、张三" in page and "吴委员" in page
    assert "签收核对：是否属于本单位职责（市交通运输局）" in page and "分类甄选／快速审查" in page
    assert "办理中" in page and "2026-11-20" in page


def test_search_by_number_title_proposer_type_session_and_category(login, two_items):
    client = login("office")

    def found(query):
        page = text_of(client.get("/items?" + query))
        return [t for t in ("公交线路", "城东小学") if t in page]

    assert found("q=公交") == ["公交线路"]
    assert found("q=45") == ["城东小学"] and found("q=第0045号") == ["城东小学"]
    assert found("q=吴委员") == ["城东小学"] and found("q=陈代表") == ["公交线路"]
    assert found("item_type=proposal") == ["城东小学"]
    assert found("session=十七届五次") == ["公交线路"]
    assert found("category=教育科技") == ["城东小学"]
    assert found("category=教育科技&item_type=suggestion") == []
    assert "没有符合条件的事项" in text_of(client.get("/items?q=不存在的事项"))
    values, _ = read_form(client.get("/items?q=公交&item_type=suggestion&session=十七届五次"))
    assert (values["q"], values["item_type"], values["session"]) == ("公交", "suggestion", "十七届五次")


@pytest.mark.parametrize("username, expected", [
    ("office", ["公交线路", "城东小学"]),
    ("npc_reviewer", ["公交线路", "城东小学"]),
    ("cppcc_reviewer", ["公交线路", "城东小学"]),
    ("deputy", ["公交线路"]),           # the lead proposer
    ("cosigner", ["公交线路"]),         # a co-signer
    ("member", ["城东小学"]),
    ("jtj_handler", ["公交线路"]),      # its unit was given the item
    ("jyj_handler", []),
])
def test_each_sees_the_items_that_concern_him(login, two_items, username, expected):
    page = text_of(login(username).get("/items"))
    assert [t for t in ("公交线路", "城东小学") if t in page] == expected
    if not expected:
        assert "还没有您可以查看的事项" in page


def test_whoever_sees_an_item_may_open_its_page(login, two_items):
    bus, school = two_items
    assert login("deputy").get(f"/instances/{bus.instance_id}").status_code == 200
    assert login("cosigner").get(f"/instances/{bus.instance_id}").status_code == 200
    assert login("npc_reviewer").get(f"/instances/{school.instance_id}").status_code == 200
    assert login("deputy").get(f"/instances/{school.instance_id}").status_code == 403
    assert login("jyj_handler").get(f"/instances/{bus.instance_id}").status_code == 403


# --- the generic start form -----------------------------------------------------------------------------

def test_the_generic_start_form_offers_neither_the_main_process_nor_called_ones(login, city):
    client = login("office")
    html = client.get("/instances").get_data(as_text=True)
    options = re.findall(r'<option value="([a-z_]+)"', html.split('id="process_key"')[1].split("</select>")[0])
    assert options == ["annual_summary"]
    response = client.post("/instances", data={"process_key": "item_handling", "business_key": "suggestion-x-1"})
    assert response.status_code == 422
    assert "不能在此发起流程“item_handling”：建议、提案请在“新建事项”中登记" in text_of(response)
    for called in ("unit_acceptance", "unit_handling", "co_unit_handling", "key_item"):
        response = client.post("/instances", data={"process_key": called, "business_key": "X-1"})
        assert response.status_code == 422 and "不能在此发起流程" in text_of(response)
    assert count_instances(city.engine) == 0
