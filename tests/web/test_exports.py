"""Downloads: the ledger 台账 as Excel (the office every row, a unit its own), an item's case file 档案 as
.zip (the office and the item's units), and PDF previews of Word files (only where LibreOffice is)."""
import csv
import dataclasses
import hashlib
import io
import json
import shutil
import zipfile
from datetime import datetime

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from tests.procedure.driver import Procedure, accept, evaluate, register, to_reply
from webapp import create_app
from webapp.clock import OFFICE_TZ
from webapp.models import StoredFile

from .pages import text_of

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)


@pytest.fixture
def city(app, engine):
    """Three items of 2026: #1 replied by jtj (A, satisfied), #2 lead jyj with co-unit jtj, not yet
    replied and past its due date, #3 not registered; and the web app on them."""
    procedure = Procedure(engine)
    with time_machine.travel(T0, tick=False) as clock:
        procedure.start(item_no=1)
        register(procedure, lead="jtj")
        accept(procedure, "jtj")
        to_reply(procedure, "jtj", reply_body="一、基本情况\n" + "已按建议调整线路。" * 60)  # kept apart
        evaluate(procedure, "deputy", "satisfied")
        first = procedure.instance_id
        procedure.start(item_no=2, title="关于增设校车线路的建议", category="教育科技")
        register(procedure, mode="lead_co", lead="jyj", co=["jtj"], category="教育科技")
        accept(procedure, "jyj", "jtj")
        second = procedure.instance_id
        procedure.start(item_no=3, title="关于不属于本级职权事项的建议")
        procedure.do("intake_review", "office", intake_decision="reject", category="交通运输", intake_reason="不属于本级")
        clock.move_to(datetime(2027, 3, 10, 10, 0, tzinfo=OFFICE_TZ))  # #2 is overdue now
        procedure.work()
        yield procedure, first, second


def ledger(client, query=""):
    response = client.get("/exports/ledger.xlsx" + query)
    assert response.status_code == 200, text_of(response)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[3]]
    return sheet, [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=4)]


def test_the_office_exports_every_item_and_unit(city, login):
    sheet, rows = ledger(login("office"))
    assert sheet["A1"].value == "建议提案办理台账（全部承办单位）"
    assert [(r["编号"], r["承办单位"], r["办理角色"]) for r in rows] == [
        ("第0001号", "市交通运输局", "单办"), ("第0002号", "市教育局", "主办"), ("第0002号", "市交通运输局", "协办"),
        ("第0003号", None, None)]
    one, two, co, three = rows
    assert one["案由"] == "关于改善城区公交线路的建议" and one["领衔人"] == "刘代表" and one["类型"] == "人大建议"
    assert one["交办日期"].date().isoformat() == "2026-11-23" and one["签收日期"].date().isoformat() == "2026-11-23"
    assert one["办理期限"].date().isoformat() == "2027-02-23" and one["答复日期"].date().isoformat() == "2026-12-20"
    assert (one["办理结果"], one["满意度"], one["是否超期"], one["办理状态"]) == ("A", "满意", "否", "已答复")
    assert (two["答复日期"], two["办理结果"], two["是否超期"], two["办理状态"]) == (None, None, "是", "办理中")
    assert co["办理状态"] == "协办" and co["届次"] == "十七届五次"
    assert three["办理状态"] == "不予立案" and three["交办日期"] is None
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref == "A3:Q7"


def test_a_unit_exports_only_its_own_rows_and_may_not_ask_for_another(city, login):
    client = login("jyj_liaison")
    sheet, rows = ledger(client)
    assert sheet["A1"].value == "建议提案办理台账（市教育局）"
    assert [(r["编号"], r["承办单位"]) for r in rows] == [("第0002号", "市教育局")]
    assert client.get("/exports/ledger.xlsx?unit=jtj").status_code == 403
    _, rows = ledger(login("jtj_handler"), "?year=2026")
    assert [(r["编号"], r["办理角色"]) for r in rows] == [("第0001号", "单办"), ("第0002号", "协办")]
    _, rows = ledger(login("office"), "?year=2025")
    assert rows == []
    assert "只有市政府办公室" in text_of(login("deputy").get("/exports/ledger.xlsx"))
    assert login("deputy").get("/exports").status_code == 403


def test_the_export_page_and_the_menu(city, login):
    page = text_of(login("office").get("/exports"))
    assert "建议提案办理台账（Excel）" in page and "全部承办单位" in page and "市卫生健康委员会" in page
    page = text_of(login("jyj_head").get("/exports"))
    assert "您只能查看和导出本单位的台账" in page and "市卫生健康委员会" not in page
    assert "台账" in text_of(login("jyj_head").get("/")) and ">台账<" not in login("deputy").get("/").get_data(True)


def test_case_file_holds_files_texts_data_and_the_audit_trail(city, login):
    procedure, first, second = city
    response = login("office").get(f"/instances/{first}/case-file.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "suggestion-%E5%8D%81%E4%B8%83%E5%B1%8A%E4%BA%94%E6%AC%A1-1_" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["business_key"] == "suggestion-十七届五次-1" and manifest["title"] == "关于改善城区公交线路的建议"
    assert {e["path"] for e in manifest["entries"]} == set(names) - {"manifest.json"}
    with procedure.engine.db.read() as s:
        stored = list(s.scalars(select(StoredFile).where(StoredFile.instance_id == first).order_by(StoredFile.id)))
    assert [f"files/{f.id}_{f.filename}" for f in stored] == [n for n in names if n.startswith("files/")]
    assert {"答复函（签章）.pdf", "关于市十七届人大五次会议第1号建议的答复.docx"} <= {f.filename for f in stored}
    assert archive.read(f"files/{stored[0].id}_{stored[0].filename}") == stored[0].content
    texts = [n for n in names if n.startswith("texts/")]
    assert texts and "已按建议调整线路。" in archive.read(texts[0]).decode("utf-8")  # the reply body kept apart
    data = json.loads(archive.read("process_data.json"))
    assert data["variables"]["title"] == "关于改善城区公交线路的建议"
    trail = list(csv.reader(io.StringIO(archive.read("audit_trail.csv").decode("utf-8-sig"))))
    assert trail[0] == ["时间", "办理人", "操作", "操作代码", "环节", "环节ID", "内容"]
    assert ["启动流程", "instance_started"] == trail[1][2:4]
    assert any(row[2] == "办理完成" and row[5] == "deliver_reply" for row in trail)
    entry = next(e for e in manifest["entries"] if e["path"] == "audit_trail.csv")
    assert entry["sha256"] == hashlib.sha256(archive.read("audit_trail.csv")).hexdigest()


def test_case_file_is_for_the_office_and_the_items_units(city, login):
    _procedure, first, second = city
    assert login("jtj_liaison").get(f"/instances/{first}/case-file.zip").status_code == 200
    assert login("jtj_handler").get(f"/instances/{second}/case-file.zip").status_code == 200  # a co-unit
    assert login("jyj_handler").get(f"/instances/{first}/case-file.zip").status_code == 403
    assert login("deputy").get(f"/instances/{first}/case-file.zip").status_code == 403
    assert login("office").get("/instances/99999/case-file.zip").status_code == 404


def test_the_instance_page_lists_its_files_and_the_case_file(city, login):
    _procedure, first, _second = city
    page = login("jtj_liaison").get(f"/instances/{first}").get_data(as_text=True)
    assert "材料与档案" in page and "答复函（签章）.pdf" in page and "下载完整档案" in page
    assert f"/instances/{first}/case-file.zip" in page
    assert "/preview" in page  # the signed scan (PDF) is shown as it is
    page = login("deputy").get(f"/instances/{first}").get_data(as_text=True)
    assert "下载完整档案" not in page


# --- previews -------------------------------------------------------------------------------------------

def letter_file(city):
    procedure, first, _second = city
    with procedure.engine.db.read() as s:
        return s.scalars(select(StoredFile).where(StoredFile.instance_id == first,
                                                  StoredFile.filename.like("%.docx"))).first()


def test_a_pdf_is_previewed_as_it_is_and_access_is_checked(city, login):
    procedure, first, _second = city
    with procedure.engine.db.read() as s:
        scan = s.scalars(select(StoredFile).where(StoredFile.instance_id == first,
                                                  StoredFile.filename.like("%.pdf"))).first()
    response = login("jtj_liaison").get(f"/files/{scan.id}/preview")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.data == scan.content
    assert login("jyj_handler").get(f"/files/{scan.id}/preview").status_code == 403
    assert login("office").get("/files/99999/preview").status_code == 404


def test_without_libreoffice_the_preview_says_so(city, login, monkeypatch):
    import webapp.documents.preview as preview
    monkeypatch.setattr(preview.shutil, "which", lambda name: None)
    response = login("jtj_liaison").get(f"/files/{letter_file(city).id}/preview")
    assert response.status_code == 503
    assert "服务器未安装 LibreOffice，无法在线预览 Word 文件" in text_of(response)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_word_file_is_converted_once_and_served_inline(city, settings, engine, people, tmp_path):
    app = create_app(dataclasses.replace(settings, preview_dir=tmp_path / "previews"), engine)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    assert client.post("/login", data={"username": "jtj_liaison", "password": "secret"}).status_code == 302
    letter = letter_file(city)
    response = client.get(f"/files/{letter.id}/preview")
    assert response.status_code == 200, text_of(response)
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("inline;")
    [cached] = (tmp_path / "previews").iterdir()
    assert cached.name.startswith(f"{letter.id}-")
    stamp = cached.stat().st_mtime_ns
    assert client.get(f"/files/{letter.id}/preview").data == response.data
    assert cached.stat().st_mtime_ns == stamp  # from the cache, not converted again


def test_a_units_ledger_in_the_browser(city, login):
    """One unit's ledger as a table on the page; the office picks the unit, a unit sees its own at once."""
    _, first, second = city
    html = login("jtj_handler").get("/exports").get_data(as_text=True)
    ledger_html = html[html.index('data-testid="ledger"'):]
    assert "市交通运输局：2 行" in ledger_html
    assert f'href="/instances/{first}">关于改善城区公交线路的建议</a>' in ledger_html
    assert f'href="/instances/{second}">关于增设校车线路的建议</a>' in ledger_html
    assert "单办" in ledger_html and "协办" in ledger_html and "已答复" in ledger_html
    office = login("office")
    assert 'data-testid="ledger"' not in office.get("/exports").get_data(as_text=True)  # all items: Excel only
    html = office.get("/exports?unit=jyj&year=2026").get_data(as_text=True)
    assert "市教育局（2026年度）：1 行" in html and '<span class="tag tag-red">超期</span>' in html
    assert "没有承办的建议、提案" in office.get("/exports?unit=jyj&year=2025").get_data(as_text=True)
    refused = login("jyj_liaison").get("/exports?unit=jtj")
    assert refused.status_code == 403 and "只能查看和导出本单位的台账" in text_of(refused)
    bad = office.get("/exports?year=26")
    assert bad.status_code == 400 and "年度应为四位数字" in text_of(bad)
