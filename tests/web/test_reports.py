"""The reporting pages over the product's diagrams (tests/web/reports_city.py): the supervision board
督办看板 with its due colours, filters and counts, the office's spot checks 抽查, the public page of
published replies 复文公开 (no login, no contact details), the statistics page read from the snapshot
the worker refreshes, its Excel export, the item page's diagram data, and who may see what."""
import io
import re
from datetime import timedelta

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from webapp import create_app
from webapp.models import HumanTask, SpotCheck, StatisticsItemFact, StatisticsSnapshot, Unit
from webapp.reports.public import public_text
from webapp.reports.snapshot import refresh
from webapp.reports.statistics import annual_statistics

from . import reports_city
from .pages import text_of


@pytest.fixture
def clock():
    traveller = time_machine.travel(reports_city.T0, tick=False)
    yield traveller.start()
    traveller.stop()


@pytest.fixture
def city(engine, clock):
    return reports_city.build(engine, clock)


@pytest.fixture
def app(settings, engine, city):
    app = create_app(settings, engine)
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


def unit_id(engine, code) -> int:
    with engine.db.read() as s:
        return s.scalar(select(Unit.id).where(Unit.code == code))


def board_rows(response) -> list[tuple[int, str, str]]:
    """(instance id, unit cell, state) of each row of the board's table of open items."""
    html = response.get_data(as_text=True)
    table = html[html.index('data-testid="board"'):] if 'data-testid="board"' in html else ""
    table = table[:table.index("</table>")] if table else ""
    rows = []
    for state, instance, body in re.findall(r'<tr class="board-\w+" data-state="(\w+)" data-instance="(\d+)">(.*?)</tr>',
                                            table, flags=re.S):
        unit = re.search(r'data-label="承办单位">(.*?)</td>', body, flags=re.S).group(1).strip()
        rows.append((int(instance), unit, state))
    return rows


# --- 督办看板 ------------------------------------------------------------------------------------------------

def test_the_board_shows_open_items_by_unit_with_overdue_and_due_soon_colours(login, city):
    response = login("office").get("/board")
    assert response.status_code == 200
    rows = board_rows(response)
    assert sorted(rows) == sorted([
        (city["one"], "市交通运输局", "normal"),    # 办后复查: no due date
        (city["two"], "市教育局", "overdue"),        # handling due 2027-02-23
        (city["two"], "市交通运输局", "overdue"),    # the co-unit's opinion was due a month after assignment
        (city["six"], "市交通运输局", "normal"),
        (city["three"], "市交通运输局", "soon"),     # due 2027-03-08, three working days from Wed 03-03
        (city["four"], "办公室及审核环节", "overdue"),  # intake review
    ])
    # Most urgent first: the overdue rows, then the one due soon, then those without a due date.
    assert [state for _i, _u, state in rows] == ["overdue"] * 3 + ["soon", "normal", "normal"]
    html = response.get_data(as_text=True)
    assert f'href="/instances/{city["three"]}"' in html
    assert 'class="board-overdue"' in html and 'class="board-soon"' in html
    page = text_of(response)
    assert "政协提案 十四届三次 第0003号" in page and "已超期" in page and "即将到期 · 剩余 3 个工作日" in page
    assert "签收核对" not in page  # done long ago
    counts = re.findall(r'<tr data-unit="(\w+)">\s*<td><a [^>]*>(.*?)</a></td>\s*<td>(\d+)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>',
                        html, flags=re.S)
    by_unit = {name: (int(items), re.sub(r"<[^>]+>", "", overdue).strip(), re.sub(r"<[^>]+>", "", soon).strip())
               for _key, name, items, overdue, soon in counts}
    assert by_unit == {"市交通运输局": (4, "1", "1"), "市教育局": (1, "1", "0"), "办公室及审核环节": (1, "1", "0")}
    assert "<th>合计</th><th>6</th><th>3</th><th>1</th>" in html


def test_the_board_filters_by_unit_type_session_and_state(login, city, engine):
    client = login("office")

    def shown(query):
        return sorted((i, u) for i, u, _s in board_rows(client.get("/board?" + query)))

    assert shown(f"unit={unit_id(engine, 'jyj')}") == [(city["two"], "市教育局")]
    assert shown("unit=none") == [(city["four"], "办公室及审核环节")]
    assert shown("item_type=proposal") == [(city["three"], "市交通运输局")]
    assert shown("session=十四届三次") == [(city["three"], "市交通运输局")]
    assert shown("state=soon") == [(city["three"], "市交通运输局")]
    assert shown("state=overdue") == sorted([(city["two"], "市教育局"), (city["two"], "市交通运输局"),
                                             (city["four"], "办公室及审核环节")])
    assert shown(f"unit={unit_id(engine, 'jtj')}&state=overdue") == [(city["two"], "市交通运输局")]
    assert shown("item_type=suggestion&state=soon") == []
    assert "没有符合条件的办理中事项" in text_of(client.get("/board?item_type=motion_to_suggestion"))


def test_the_board_reads_open_tasks_with_a_fixed_number_of_queries(app, city, engine, login):
    """No query per row: the page costs the same with one more item on it."""
    from sqlalchemy import event
    client = login("office")
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine.db.engine, "before_cursor_execute", count)
    try:
        client.get("/board")
        before = len(statements)
        statements.clear()
        with engine.db.write() as s:  # another open step on another item
            task = s.scalars(select(HumanTask).where(HumanTask.instance_id == city["six"],
                                                     HumanTask.status == "completed")).first()
            s.add(HumanTask(instance_id=city["one"], task_guid="00000000-0000-0000-0000-00000000abcd",
                            element_id=task.element_id, name="额外环节", status="open", unit_id=unit_id(engine, "jyj")))
        statements.clear()
        client.get("/board")
        assert len(statements) == before
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", count)


def test_reviewers_see_the_board_read_only_and_others_are_refused(login, city):
    page = text_of(login("npc_reviewer").get("/board"))
    assert "督办看板" in page and "（只读）" in page and "抽查" in page  # the section's title
    assert 'href="/instances/%d#spot-checks"' % city["one"] not in login("npc_reviewer").get("/board").get_data(as_text=True)
    assert 'href="/instances/%d#spot-checks"' % city["one"] in login("office").get("/board").get_data(as_text=True)
    assert "督办看板" in text_of(login("office").get("/items"))  # in the menu
    for username in ("jtj_liaison", "jyj_head", "deputy", "vice_mayor"):
        client = login(username)
        assert client.get("/board").status_code == 403
        assert "督办看板" not in text_of(client.get("/items"))
    assert login("cppcc_reviewer").get("/board").status_code == 200


# --- 抽查 -------------------------------------------------------------------------------------------------------

def test_the_office_records_a_spot_check_of_a_replied_item(login, city, engine):
    client = login("office")
    page = client.get(f"/instances/{city['one']}").get_data(as_text=True)
    assert 'data-testid="spot-check-form"' in page and "还没有抽查记录" in text_of(page)
    assert 'value="刘代表"' in page  # the lead proposer is who the office calls

    # Unsatisfied without the proposer's words, and a date in the future: refused, nothing stored.
    response = client.post(f"/instances/{city['one']}/spot-checks",
                           data={"checked_on": "2027-03-04", "contacted": "刘代表", "satisfaction": "unsatisfied"})
    assert response.status_code == 422
    assert "抽查日期不能晚于今天（2027-03-03）" in text_of(response) and "请记录代表委员的意见" in text_of(response)
    assert 'value="2027-03-04"' in response.get_data(as_text=True)  # what was typed stays
    with engine.db.read() as s:
        assert s.scalars(select(SpotCheck)).all() == []

    response = client.post(f"/instances/{city['one']}/spot-checks",
                           data={"method": "phone", "contacted": "刘代表", "satisfaction": "satisfied",
                                 "note": "代表认可答复，公交线路已调整"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/instances/{city['one']}#spot-checks")
    with engine.db.read() as s:
        [check] = s.scalars(select(SpotCheck)).all()
        assert (check.instance_id, check.unit_id, check.checked_on.isoformat(), check.satisfaction,
                check.checked_by_name) == (city["one"], unit_id(engine, "jtj"), "2027-03-03", "satisfied", "王秘书")
    page = text_of(client.get(f"/instances/{city['one']}"))
    assert "已记录对市交通运输局答复的抽查：满意" in page
    assert "2027-03-03 市交通运输局 电话回访 刘代表 满意 代表认可答复，公交线路已调整 王秘书" in page
    # The board's list of replied items shows it; the reviewers see the record, read only.
    board = text_of(client.get("/board"))
    assert "1 次 · 最近 2027-03-03 满意" in board and "未抽查" in board  # #6 not yet
    reviewer = login("npc_reviewer").get(f"/instances/{city['one']}").get_data(as_text=True)
    assert "代表认可答复" in reviewer and 'data-testid="spot-check-form"' not in reviewer
    # The unit and the deputy do not see the office's notes.
    assert "代表认可答复" not in text_of(login("jtj_liaison").get(f"/instances/{city['one']}"))


def test_a_spot_check_needs_a_delivered_reply_and_the_office(login, city, engine):
    client = login("office")
    page = client.get(f"/instances/{city['two']}").get_data(as_text=True)
    assert 'data-testid="spot-check-form"' not in page
    response = client.post(f"/instances/{city['two']}/spot-checks", data={"contacted": "刘代表", "satisfaction": "satisfied"})
    assert response.status_code == 422 and "还没有承办单位送达答复" in text_of(response)
    response = client.post(f"/instances/{city['one']}/spot-checks",
                           data={"unit": str(unit_id(engine, "jyj")), "contacted": "刘代表", "satisfaction": "satisfied"})
    assert response.status_code == 422 and "请选择已送达答复的承办单位" in text_of(response)
    for username in ("npc_reviewer", "jtj_liaison", "deputy"):
        assert login(username).post(f"/instances/{city['one']}/spot-checks",
                                    data={"contacted": "刘代表", "satisfaction": "satisfied"}).status_code == 403
    assert client.post("/instances/99999/spot-checks", data={"satisfaction": "satisfied"}).status_code == 404
    with engine.db.read() as s:
        assert s.scalars(select(SpotCheck)).all() == []


# --- 复文公开 ------------------------------------------------------------------------------------------------------

def test_public_text_removes_contact_details():
    reply = reports_city.CONTACT_REPLY
    text = public_text(reply)
    assert "我局已按建议调整城区公交线路" in text and "二、下一步工作" in text
    for secret in ("0359-2345678", "139 1234 5678", "gongjiao@example.gov.cn", "李四", "附注", "联系人"):
        assert secret in reply and secret not in text
    assert "联系电话：＊＊＊" in text and "手机 ＊＊＊" in text
    assert public_text("请拨打 13812345678 或（0359）2345678转801，身份证 14270119800101123X。") == \
        "请拨打 ＊＊＊ 或＊＊＊，身份证 ＊＊＊。"
    assert public_text("电话：2345678") == "电话：＊＊＊"
    # Dates, amounts, hotlines and numbers of items stay.
    kept = "2026年12月20日投入资金1500万元，第0123号建议，市民热线12345。"
    assert public_text(kept) == kept
    assert public_text("正文\n（联系人：王五，联系电话：0359-1234567）\n\n\n\n结尾") == "正文\n\n结尾"


def published_ids(engine) -> dict[int, int]:
    with engine.db.read() as s:
        return dict(s.execute(select(HumanTask.instance_id, HumanTask.id).where(
            HumanTask.element_id == "publish_reply", HumanTask.status == "completed")).all())


def test_the_public_page_lists_published_replies_without_login_or_contact_details(app, city, engine):
    anonymous = app.test_client()
    response = anonymous.get("/public")
    assert response.status_code == 200
    page = text_of(response)
    assert "关于改善城区公交线路的建议" in page and "人大建议 十七届五次 第0001号 · 市交通运输局 · 2026-11-23 公开" in page
    # Only what a unit published: not the reply marked 不予公开, not the items still handled.
    assert "关于增设公交站点的建议" not in page and "关于增设校车线路的建议" not in page
    assert "0359-2345678" not in page and "13912345678" not in page and "李四" not in page
    assert "登录" in page and "退出" not in page  # no one is logged in
    [reply_id] = published_ids(engine).values()
    assert f'href="/public/{reply_id}"' in response.get_data(as_text=True)

    detail = anonymous.get(f"/public/{reply_id}")
    assert detail.status_code == 200
    text = text_of(detail)
    assert "答复单位 市交通运输局" in text and "公开日期 2026-11-23" in text
    assert "我局已按建议调整城区公交线路，新增班次。" in text and "联系电话：＊＊＊" in text
    for secret in ("0359-2345678", "139 1234 5678", "gongjiao@example.gov.cn", "李四", "附注", "13912345678"):
        assert secret not in detail.get_data(as_text=True)
    # Anything else is not a published reply.
    with engine.db.read() as s:
        other = s.scalar(select(HumanTask.id).where(HumanTask.instance_id == city["six"],
                                                    HumanTask.element_id == "head_sign"))
    assert anonymous.get(f"/public/{other}").status_code == 404
    assert anonymous.get("/public/99999").status_code == 404
    # The rest of the site still asks for a login.
    assert anonymous.get("/board").status_code == 302 and anonymous.get("/statistics").status_code == 302


def test_the_public_page_searches_by_title_number_unit_and_year(app, city, engine):
    anonymous = app.test_client()

    def found(query) -> bool:
        return "关于改善城区公交线路的建议" in text_of(anonymous.get("/public?" + query))

    assert found("q=公交线路") and found("q=1") and found("q=第0001号") and found("q=交通运输局")
    assert not found("q=校车") and not found("q=第0002号") and not found("q=教育局")
    assert found(f"unit={unit_id(engine, 'jtj')}") and not found(f"unit={unit_id(engine, 'jyj')}")
    assert found("year=2026") and not found("year=2027") and not found("year=2025")
    assert "没有符合条件的公开答复" in text_of(anonymous.get("/public?q=不存在"))
    page = anonymous.get("/public").get_data(as_text=True)
    assert '<option value="2026"' in page and "市交通运输局</option>" in page


def test_a_proposer_who_withheld_consent_is_not_published(app, city, engine):
    from webapp.models import Item
    with engine.db.write() as s:
        s.scalars(select(Item).where(Item.instance_id == city["one"])).one().publication_consent = False
    [reply_id] = published_ids(engine).values()
    anonymous = app.test_client()
    assert "关于改善城区公交线路的建议" not in text_of(anonymous.get("/public"))
    assert anonymous.get(f"/public/{reply_id}").status_code == 404


# --- 统计 -----------------------------------------------------------------------------------------------------------

def kpis(response) -> dict[str, str]:
    return dict(re.findall(r'data-kpi="(\w+)">([^<]*)<', response.get_data(as_text=True)))


def test_the_statistics_page_reads_the_snapshot_and_the_office_refreshes_it(login, city, engine, clock):
    client = login("office")
    response = client.post("/statistics/refresh", data={"year": "2026"})
    assert response.status_code == 302 and "year=2026" in response.headers["Location"]
    response = client.get("/statistics?year=2026")
    assert response.status_code == 200
    page = text_of(response)
    assert "数据截至 2027-03-03 10:00（王秘书，共 6 件事项）" in page and "统计数据已刷新" in page
    assert kpis(response) == {"received": "6", "registered": "4", "key_items": "0", "replies_finished": "2",
                              "on_time_rate": "100.0%", "satisfaction_rate": "100.0%", "face_to_face_rate": "0.0%"}
    assert "满意 1 · 基本满意 1 · 不满意 0" in page
    assert "市交通运输局 3 0 2 100.0% 100.0% 1／1／0 1 1 0 0.0%" in page  # assigned, key, replies, rates, A B C
    assert "市教育局 1 0 0 — — 0／0／0 0 0 0 —" in page
    assert "交通运输 3" in page and "教育科技 1" in page and "人大建议 3" in page and "政协提案 1" in page
    assert "A类答复 1（50.0%）" in page and "B类答复 1（50.0%）" in page

    # The snapshot's figures are the annual report's own (the same logic over the same items).
    with engine.db.read() as s:
        expected = annual_statistics(s, engine.runtime, 2026)
    from webapp.reports.dashboard import dashboard
    from webapp.reports.snapshot import load_records
    with engine.db.read() as s:
        figures = dashboard(load_records(s, 2026), {})
    assert figures["summary"] == {k: v for k, v in expected.items() if k not in ("year", "computed_at")}

    # Filters: 届次 and type.
    assert kpis(client.get("/statistics?session=十四届三次"))["received"] == "1"
    assert kpis(client.get("/statistics?item_type=suggestion"))["received"] == "5"
    assert kpis(client.get("/statistics?year=2025"))["received"] == "0"
    # Charts are drawn from the figures on the page (when chart.js is installed).
    html = response.get_data(as_text=True)
    from webapp.web.vendor import available
    if available("chart.js"):
        assert 'id="chart-data"' in html and "/vendor/chart.js/" in html and 'id="chart-units"' in html
    else:
        assert 'data-testid="charts-missing"' in html


def test_the_page_shows_the_snapshot_as_it_was_until_it_is_refreshed(login, city, engine, clock):
    """The page never computes: a new item appears after the worker's (or the office's) refresh."""
    refresh(engine.db, engine.runtime, computed_by="测试")
    client = login("office")
    assert kpis(client.get("/statistics"))["received"] == "6"
    from tests.procedure.driver import Procedure
    proc = Procedure.__new__(Procedure)  # the city is there already: only drive
    proc.engine, proc.instance_id = engine, None
    reports_city.new_item(proc, 7, "关于新增停车场的建议")
    assert kpis(client.get("/statistics"))["received"] == "6"
    # A worker pass within the refresh interval leaves it; one after it refreshes.
    engine.management.run_once()
    assert kpis(client.get("/statistics"))["received"] == "6"
    clock.shift(timedelta(minutes=31))
    engine.management.run_once()
    response = client.get("/statistics")
    assert kpis(response)["received"] == "7" and "定时刷新" in text_of(response)
    with engine.db.read() as s:
        snapshot = s.get(StatisticsSnapshot, 1)
        assert snapshot.item_count == 7 and snapshot.lease_until is None
        assert s.scalar(select(StatisticsItemFact.year).where(StatisticsItemFact.instance_id == city["three"])) == 2026


def test_a_second_refresh_waits_for_the_lease(engine, city, clock):
    from webapp.reports.snapshot import _take_lease
    from webapp.models import utcnow
    refresh(engine.db, engine.runtime)
    clock.shift(timedelta(hours=1))
    assert _take_lease(engine.db, timedelta(minutes=30), utcnow())  # one worker computes…
    assert not refresh(engine.db, engine.runtime, max_age=timedelta(minutes=30))  # …another does not
    clock.shift(timedelta(minutes=11))  # the first died: its lease runs out
    assert refresh(engine.db, engine.runtime, max_age=timedelta(minutes=30))


def test_the_statistics_export_as_excel(login, city, engine):
    client = login("npc_reviewer")
    refresh(engine.db, engine.runtime, computed_by="测试")
    response = client.get("/statistics/export.xlsx?year=2026")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["概览", "按承办单位", "按类别", "按类型", "办理结果"]
    overview = book["概览"]
    assert overview["A1"].value == "建议提案办理情况统计"
    assert overview["A2"].value == "统计范围：2026年 · 全部届次；数据截至 2027-03-03 10:00（统计快照）"
    rows = {r[0]: r[1] for r in overview.iter_rows(min_row=5, values_only=True)}
    assert rows["收件"] == 6 and rows["立案"] == 4 and rows["不予立案、并案、转意见建议"] == 1
    assert rows["按时办结率"] == "100.0%" and rows["满意率（含基本满意）"] == "100.0%" and rows["基本满意"] == 1
    units = book["按承办单位"]
    header = [c.value for c in units[4]]
    assert header[:6] == ["承办单位", "交办件数", "重点事项", "已答复", "按时答复", "按时办结率"]
    table = {r[0]: dict(zip(header, r)) for r in units.iter_rows(min_row=5, values_only=True)}
    assert table["市交通运输局"]["交办件数"] == 3 and table["市交通运输局"]["A类"] == 1 and table["市交通运输局"]["B类"] == 1
    assert table["市教育局"]["已答复"] == 0
    assert [r for r in book["按类别"].iter_rows(min_row=5, values_only=True)] == [("交通运输", 3), ("教育科技", 1)]
    assert [r for r in book["办理结果"].iter_rows(min_row=5, values_only=True)] == [
        ("A类", 1, "50.0%"), ("B类", 1, "50.0%"), ("C类", 0, "0.0%")]
    session_only = load_workbook(io.BytesIO(client.get("/statistics/export.xlsx?session=十四届三次").data))
    assert session_only["概览"]["A2"].value.startswith("统计范围：全部年度 · 十四届三次")


def test_statistics_are_for_the_office_the_reviewers_and_administrators(login, city, engine):
    from tests.support.helpers import add_user
    add_user(engine, "sysadmin", "系统管理员")
    with engine.db.write() as s:
        from webapp.models import User
        s.scalars(select(User).where(User.username == "sysadmin")).one().is_admin = True
    assert login("sysadmin").get("/statistics").status_code == 200
    reviewer = login("cppcc_reviewer")
    response = reviewer.get("/statistics")
    assert response.status_code == 200 and 'data-testid="refresh"' not in response.get_data(as_text=True)
    assert reviewer.post("/statistics/refresh").status_code == 403
    assert 'data-testid="refresh"' in login("office").get("/statistics").get_data(as_text=True)
    for username in ("jtj_liaison", "jtj_head", "deputy", "member", "vice_mayor"):
        client = login(username)
        assert client.get("/statistics").status_code == 403
        assert client.get("/statistics/export.xlsx").status_code == 403
        assert client.post("/statistics/refresh").status_code == 403
        assert "统计" not in re.findall(r'<nav class="main-nav".*?</nav>', client.get("/items").get_data(as_text=True),
                                        flags=re.S)[0]


# --- the item page's diagram ------------------------------------------------------------------------------------

def test_the_diagram_data_marks_current_waiting_and_completed_steps(login, city):
    client = login("office")
    data = client.get(f"/instances/{city['three']}/diagram.json").get_json()
    tabs = {t["label"]: t for t in data["tabs"]}
    main = data["tabs"][0]
    assert main["process"] == "item_handling" and main["label"] == "建议提案办理（主流程）"
    assert "handle_by_units" in main["current"]                       # the units' handling runs
    assert {"intake_review", "assign_units", "accept_assignment"} <= set(main["completed"])
    handling = tabs["承办单位办理答复（市交通运输局）"]
    assert handling["process"] == "unit_handling" and handling["status"] == "running"
    assert handling["current"] == ["dispatch"]                        # 内部交办 waits for the liaison
    assert handling["waiting"] == [] and "init_unit_handling" in handling["completed"]
    acceptance = tabs["承办单位签收核对（市交通运输局）"]
    assert acceptance["status"] == "completed" and "check_remit" in acceptance["completed"]
    assert acceptance["current"] == []
    # The deployment's own XML of each process shown.
    assert set(data["files"]) == {t["file"] for t in data["tabs"]}
    assert 'id="dispatch"' in data["files"][handling["file"]]
    # Item #2: the lead unit's handling, with the events it waits for, and the co-unit's opinion.
    tabs = {t["label"]: t for t in client.get(f"/instances/{city['two']}/diagram.json").get_json()["tabs"]}
    lead = tabs["承办单位办理答复（市教育局）"]
    # inside the running sub-process 办理与答复: the consultation and the co-unit's call
    assert lead["current"] == ["co_unit_work", "consult_before", "handling"]
    assert {"extension_requested", "urged"} <= set(lead["waiting"]) and "dispatch" in lead["completed"]
    assert tabs["协办单位办理（市交通运输局）"]["current"] == ["co_dispatch"]


def test_the_diagram_is_for_those_who_see_the_item_and_degrades_to_the_list(login, city, monkeypatch):
    assert login("deputy").get(f"/instances/{city['three']}/diagram.json").status_code == 403  # 吴委员's proposal
    assert login("member").get(f"/instances/{city['three']}/diagram.json").status_code == 200
    assert login("office").get("/instances/99999/diagram.json").status_code == 404
    from webapp.web import diagram
    monkeypatch.setattr(diagram, "available", lambda *packages: True)
    page = login("office").get(f"/instances/{city['three']}").get_data(as_text=True)
    assert 'data-testid="diagram"' in page and f'data-source="/instances/{city["three"]}/diagram.json"' in page
    assert "camunda-platform-navigated-viewer.production.min.js" in page
    monkeypatch.setattr(diagram, "available", lambda *packages: False)  # no node_modules
    page = login("office").get(f"/instances/{city['three']}").get_data(as_text=True)
    assert 'data-testid="diagram"' not in page and "内部交办（五定）" in text_of(page)  # the list of current steps
