"""Spreadsheet batches in the browser (批量导入): the template, checking every row before anything is
written, registering all rows or none, the progress page, the size limit and who may import."""
import dataclasses
import io
import secrets
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update

from tests.procedure.driver import Procedure
from webapp import create_app
from webapp.items import batch, register_item
from webapp.items import intake
from webapp.items.spreadsheet import MAX_ROWS, template_workbook
from webapp.models import HumanTask, Instance, Item, ItemImport, utcnow

from .pages import text_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def row(**changes) -> dict:
    """One line of the sheet as the 人大议案建议组 fills it in: labels, as Excel keeps them."""
    line = {"类型": "人大建议", "届次": "十七届五次", "编号": 1, "提出时间": "大会期间", "案由": "关于改善城区公交线路的建议",
            "正文": "一、现状\n公交线路覆盖不足。\n二、建议\n增开班次。", "类别": "交通运输", "提出方式": "个人",
            "领衔人账号": "deputy", "收件日期": datetime(2026, 3, 8)}
    line.update(changes)
    return line


def workbook(*lines: dict, template: bool = True) -> bytes:
    """A filled file: the downloaded template with the lines from row 2, by header."""
    wb = load_workbook(io.BytesIO(template_workbook())) if template else Workbook()
    ws = wb.worksheets[0]
    headers = [str(c.value).rstrip("*") for c in ws[1]] if template else []
    for number, line in enumerate(lines, 2):
        for key, value in line.items():
            if key not in headers:
                headers.append(key)
                ws.cell(row=1, column=len(headers), value=key)
            ws.cell(row=number, column=headers.index(key) + 1, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data: bytes, filename="第一批.xlsx"):
    return client.post("/items/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def wait_until_finished(client, location: str, timeout: float = 60) -> dict:
    """Poll the status JSON as the page does until the batch has finished."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(location + "/status").get_json()
        if status["status"] != "running":
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def count(engine, model) -> int:
    with engine.db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


# --- the template -----------------------------------------------------------------------------------------

def test_the_template_is_an_excel_file_with_chinese_headers_lists_and_drop_downs(login):
    response = login("office").get("/items/import/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["事项", "可选值", "填写说明"]
    ws = wb["事项"]
    headers = [c.value for c in ws[1]]
    assert headers[:7] == ["类型*", "届次*", "编号*", "提出时间*", "案由*", "正文*", "类别*"]
    assert {"子类", "领衔人账号", "领衔人（提出单位）名称", "附议人/联名人账号", "附议人/联名人姓名", "联系方式", "建议承办单位",
            "来源渠道", "收件日期", "重点督办", "领办领导", "同意公开答复", "要求面商", "提出方式*"} <= set(headers)
    assert ws.freeze_panes == "A2" and all(c.value is None for c in ws[2])
    assert ws.cell(row=1, column=1).comment.text.startswith("人大建议、政协提案或议案转建议")

    lists = {col[0].value: [c.value for c in col[1:] if c.value] for col in wb["可选值"].iter_cols()}
    assert lists["类型"] == ["人大建议", "政协提案", "议案转建议"]
    assert lists["类别"][:3] == ["经济发展", "城乡建设", "交通运输"] and "其他" in lists["类别"]
    assert "代表履职服务平台" in lists["来源渠道"] and "人大议案建议组（大会批量）" in lists["来源渠道"]
    assert lists["是/否"] == ["是", "否"]

    checks = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    column = {h.rstrip("*"): c.column_letter for h, c in zip(headers, ws[1])}
    type_check = checks[f"{column['类型']}2:{column['类型']}1001"]
    assert type_check.type == "list" and type_check.formula1 == "'可选值'!$A$2:$A$4"
    assert checks[f"{column['类别']}2:{column['类别']}1001"].type == "list"
    assert checks[f"{column['来源渠道']}2:{column['来源渠道']}1001"].type == "list"
    assert checks[f"{column['编号']}2:{column['编号']}1001"].type == "whole"
    guide = [r for r in wb["填写说明"].iter_rows(values_only=True)]
    assert guide[0] == ("列名", "是否必填", "填写要求") and ("案由", "必填") == guide[5][:2]


# --- a good file ------------------------------------------------------------------------------------------

def test_a_valid_file_imports_every_row_and_starts_each_process(login, city):
    client = login("office")
    page = client.get("/items/import")
    assert page.status_code == 200 and "下载导入模板" in text_of(page) and "还没有导入过文件" in text_of(page)
    data = workbook(
        row(),
        row(编号="0002", 案由="关于扩建城东小学的建议", 类别="教育科技", 提出方式="联名", 领衔人账号="", 收件日期="2026-03-09",
            **{"领衔人（提出单位）名称": "赵代表", "附议人/联名人账号": "cosigner", "附议人/联名人姓名": "张三、李四",
               "同意公开答复": "否", "要求面商": "是", "重点督办": "人大、政协确定的重点督办", "领办领导": "张副市长"}),
        {},  # a blank line in between is skipped
        row(类型="政协提案", 编号=1, 提出方式="集体", 领衔人账号=None, 收件日期=None,
            **{"领衔人（提出单位）名称": "民盟市委"}))
    response = upload(client, data)
    assert response.status_code == 302
    location = response.headers["Location"]
    status = wait_until_finished(client, location)
    assert (status["status"], status["total"], status["done"], status["percent"]) == ("done", 3, 3, 100)
    assert [i["label"] for i in status["items"]] == ["人大建议 十七届五次 第0001号", "人大建议 十七届五次 第0002号",
                                                     "政协提案 十七届五次 第0001号"]

    bus, school, league = _items(city.engine)  # registered in the file's order
    assert (bus.title, bus.proposer, bus.proposer_name, bus.source) == ("关于改善城区公交线路的建议", "deputy", "刘代表",
                                                                        "npc_batch")
    assert bus.received_on == date(2026, 3, 8) and bus.publication_consent is True and bus.created_by == "office"
    assert bus.body == "一、现状\n公交线路覆盖不足。\n二、建议\n增开班次。"
    assert (school.item_no, school.proposer, school.proposer_name, school.co_signers) == (2, None, "赵代表", ["cosigner"])
    assert school.co_signer_names == ["陈代表", "张三", "李四"] and school.received_on == date(2026, 3, 9)
    assert (school.publication_consent, school.proposer_requested_face_to_face) == (False, True)
    assert (school.is_key, school.key_source, school.key_leader) == (True, "npc_cppcc", "张副市长")
    assert (league.item_type, league.source, league.proposer_name) == ("proposal", "cppcc_batch", "民盟市委")
    assert league.received_on == city.engine.clock.today()

    with city.engine.db.read() as s:
        for item in (bus, school, league):
            instance = s.get(Instance, item.instance_id)
            assert instance.status == "running" and instance.business_key.endswith(f"-{item.item_no}")
            tasks = s.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == item.instance_id,
                                                                 HumanTask.status == "open")).all()
            assert tasks == ["intake_review"]
        stored = s.scalars(select(ItemImport)).one()
        assert (stored.status, stored.rows, stored.created_by, stored.filename) == ("done", None, "office", "第一批.xlsx")

    page = text_of(client.get(location))
    assert "已导入全部 3 件" in page and "人大建议 十七届五次 第0002号" in page and "民盟市委" in page
    assert "第一批.xlsx" in text_of(client.get("/items/import")) and "已导入" in text_of(client.get("/items/import"))


def test_columns_may_come_in_any_order_and_unknown_ones_are_named(login, city):
    line = row()
    shuffled = {k: line[k] for k in reversed(list(line))} | {"备注": "加急"}
    response = upload(login("office"), workbook(shuffled, template=False))
    assert response.status_code == 302
    assert wait_until_finished(login("office"), response.headers["Location"])["status"] == "done"
    assert [i.title for i in _items(city.engine)] == ["关于改善城区公交线路的建议"]


# --- bad rows ---------------------------------------------------------------------------------------------

def test_a_file_with_bad_rows_imports_nothing_and_names_every_problem(login, city):
    client = login("office")
    data = workbook(row(),
                    row(编号=2, 案由="", 类别="交通"),
                    row(编号="3a", 收件日期="2999-01-01"),
                    row(编号=4, 领衔人账号="nobody", 同意公开答复="也许"),
                    row(编号=5, 类型="建议", 提出方式="联名"))
    response = client.post("/items/import", data={"file": (io.BytesIO(data), "第二批.xlsx")})
    assert response.status_code == 422
    page = text_of(response)
    assert "“第二批.xlsx”有 8 处问题（涉及 4 行），没有导入任何事项" in page
    problems = _problems(response)
    assert ("第 3 行", "案由", "请填写案由。") in problems
    assert ("第 3 行", "类别", "请选择类别。") in problems
    assert ("第 4 行", "编号", "编号“3a”不是正整数。") in problems
    assert any(p[:2] == ("第 4 行", "收件日期") and "收件日期不能晚于今天" in p[2] for p in problems)
    assert ("第 5 行", "领衔人账号", "“nobody”不是系统中的代表或委员，请从列表中选择，或不选而只填写名称。") in problems
    assert ("第 5 行", "同意公开答复", "应填“是”或“否”，不能填“也许”。") in problems
    assert ("第 6 行", "类型", "请选择类型（人大建议、政协提案或议案转建议）。") in problems
    assert ("第 6 行", "附议人/联名人账号", "联名提出的，请选择或填写联名人。") in problems
    assert len(problems) == 8
    assert [p[0] for p in problems] == sorted((p[0] for p in problems), key=lambda r: int(r.split()[1]))
    assert count(city.engine, Item) == 0 and count(city.engine, Instance) == 0 and count(city.engine, ItemImport) == 0


def test_duplicates_in_the_file_and_numbers_taken_already_are_reported(login, city):
    register_item(city.engine, dict(item_type="suggestion", session="十七届五次", timing="session", item_no="7",
                                    title="已登记的建议", body="正文", category="交通运输", proposer_type="individual",
                                    proposer="deputy"), city.user("office"))
    response = upload(login("office"), workbook(row(编号=5), row(编号=6), row(编号="0005", 案由="另一件"), row(编号=7),
                                                row(编号=5, 类型="政协提案")))
    assert response.status_code == 422
    problems = _problems(response)
    assert problems == [("第 4 行", "编号", "与第 2 行重复：人大建议 十七届五次 第0005号。"),
                        ("第 5 行", "编号", "人大建议 十七届五次 第0007号 已经存在，请核对编号。")]
    assert count(city.engine, Item) == 1


def test_files_that_cannot_be_read(login, city):
    client = login("office")
    response = upload(client, b"not a spreadsheet", "名单.xlsx")
    assert response.status_code == 422 and "文件无法读取" in text_of(response)
    response = upload(client, workbook(row()), "名单.xls")
    assert response.status_code == 422 and "不是 .xlsx 文件" in text_of(response)
    response = client.post("/items/import", data={})
    assert response.status_code == 422 and "请选择要导入的 Excel 文件" in text_of(response)
    response = upload(client, workbook({"类型": "人大建议", "届次": "十七届五次"}, template=False))
    assert response.status_code == 422
    assert "缺少必填的列：编号、提出时间、案由、正文、类别、提出方式" in text_of(response)
    response = upload(client, workbook())
    assert response.status_code == 422 and "文件中没有事项" in text_of(response)
    assert count(city.engine, ItemImport) == 0 and count(city.engine, Item) == 0


def test_too_many_rows_are_refused(login, city, monkeypatch):
    from webapp.items import spreadsheet
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 2)
    response = upload(login("office"), workbook(row(编号=1), row(编号=2), row(编号=3)))
    assert response.status_code == 422 and "一个文件最多导入 2 行" in text_of(response)
    assert count(city.engine, Item) == 0 and MAX_ROWS == 2000


def test_the_size_limit_comes_from_the_settings(settings, city):
    app = create_app(dataclasses.replace(settings, max_upload_bytes=30_000), city.engine)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    client.post("/login", data={"username": "office", "password": "secret"})
    padded = workbook(*[row(编号=n, 正文=secrets.token_hex(2000)) for n in range(1, 20)])
    assert len(padded) > 30_000
    response = upload(client, padded)
    assert response.status_code == 413 and "文件过大：不能超过 29 KB" in text_of(response)
    too_big = upload(client, b"x" * (30_000 + 1024 * 1024 + 10))  # past the request limit itself
    assert too_big.status_code == 413 and "上传的文件过大" in text_of(too_big)
    assert count(city.engine, Item) == 0


# --- who may import ---------------------------------------------------------------------------------------

def test_only_the_office_imports(app, login, city):
    for username in ("deputy", "jtj_liaison", "npc_reviewer"):
        client = login(username)
        for response in (client.get("/items/import"), client.get("/items/import/template.xlsx"),
                         upload(client, workbook(row()))):
            assert response.status_code == 403 and "只有市政府办公室可以批量导入" in text_of(response)
        assert "批量导入" not in text_of(client.get("/items"))
    anonymous = app.test_client().get("/items/import")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert "批量导入" in text_of(login("office").get("/items"))
    assert count(city.engine, Item) == 0


# --- all or none, progress, interruptions -----------------------------------------------------------------

def test_a_number_taken_while_the_batch_waits_fails_the_whole_batch(city):
    """The rows passed the check; then someone registers row 3's number by hand before the batch runs:
    the batch stops at row 3 and rolls back rows 1 and 2 with it."""
    office = city.user("office")
    rows = [(2, _values(1)), (3, _values(2)), (4, _values(3))]
    assert batch.check_rows(city.engine, rows) == []
    import_id = batch.queue_import(city.engine, "第三批.xlsx", rows, office)
    register_item(city.engine, _values(3), office)
    with city.engine.db.read() as s:
        runner = s.get(ItemImport, import_id).runner
    assert batch.run_import(city.engine, import_id, runner) is False
    status = batch.import_status(city.engine, import_id)
    assert status.status == "failed" and "第 4 行在导入时未通过检查" in status.message
    assert status.problems == [{"row": 4, "column": "编号", "message": "人大建议 十七届五次 第0003号 已经存在，请核对编号。"}]
    assert [i.item_no for i in _items(city.engine)] == [3] and count(city.engine, Instance) == 1


def test_the_status_shows_progress_while_the_rows_are_registered(login, city, monkeypatch):
    """The import holds its transaction open; the status page reads the count from this process, and on
    PostgreSQL also from the batch's row, written beside the open transaction."""
    client = login("office")
    second_row, go_on = threading.Event(), threading.Event()
    real = intake.register_in

    def slow_register(engine, session, values, *args, **kwargs):
        if values["item_no"] == "2":
            second_row.set()
            assert go_on.wait(30)
        return real(engine, session, values, *args, **kwargs)

    monkeypatch.setattr(batch, "register_in", slow_register)
    response = upload(client, workbook(row(编号=1), row(编号=2), row(编号=3)))
    location = response.headers["Location"]
    assert second_row.wait(30)
    try:
        status = client.get(location + "/status").get_json()
        assert (status["status"], status["done"], status["total"], status["percent"]) == ("running", 1, 3, 33)
        page = client.get(location)
        assert "正在导入：1 / 3（33%）" in text_of(page) and 'data-status="running"' in page.get_data(as_text=True)
        assert "js/item_import.js" in page.get_data(as_text=True)
        with city.engine.db.read() as s:
            assert s.scalar(select(ItemImport.done)) == (0 if city.engine.db.is_sqlite else 1)
        assert count(city.engine, Item) == 0  # nothing is visible before the batch commits
    finally:
        go_on.set()
    assert wait_until_finished(client, location)["status"] == "done"
    assert count(city.engine, Item) == 3


def test_an_interrupted_batch_is_shown_so_and_can_be_run_again(login, city):
    office = city.user("office")
    import_id = batch.queue_import(city.engine, "第四批.xlsx", [(2, _values(1)), (3, _values(2))], office)
    # Nobody runs it (the process that queued it is gone); on PostgreSQL its heartbeat grows old.
    with city.engine.db.write() as s:
        s.execute(update(ItemImport).values(heartbeat_at=utcnow() - timedelta(seconds=batch.LEASE_SECONDS + 1)))
    client = login("office")
    page = client.get(f"/items/import/{import_id}")
    assert "导入过程被中断" in text_of(page) and "重新导入" in text_of(page)
    assert client.get(f"/items/import/{import_id}/status").get_json()["status"] == "interrupted"
    response = client.post(f"/items/import/{import_id}/restart")
    assert response.status_code == 302
    assert wait_until_finished(client, f"/items/import/{import_id}")["status"] == "done"
    assert [i.item_no for i in _items(city.engine)] == [1, 2]
    # A finished batch is not run again.
    assert client.post(f"/items/import/{import_id}/restart").status_code == 302
    assert batch.restart_import(city.engine, import_id) is None and count(city.engine, Item) == 2


def test_a_run_that_was_taken_over_rolls_back(city):
    office = city.user("office")
    import_id = batch.queue_import(city.engine, "第五批.xlsx", [(2, _values(1))], office)
    assert batch.run_import(city.engine, import_id, "someone-else") is False
    assert count(city.engine, Item) == 0
    assert batch.import_status(city.engine, import_id).finished is False


def test_an_unknown_batch_is_not_found(login):
    assert login("office").get("/items/import/999").status_code == 404


# --- helpers ----------------------------------------------------------------------------------------------

def _values(item_no: int) -> dict:
    return dict(item_type="suggestion", session="十七届五次", timing="session", item_no=str(item_no),
                title=f"第 {item_no} 件", body="正文", category="交通运输", proposer_type="individual", proposer="deputy",
                source="npc_batch", publication_consent="on")


def _items(engine) -> list[Item]:
    with engine.db.read() as s:
        return list(s.scalars(select(Item).order_by(Item.id)))


def _problems(response) -> list[tuple[str, str, str]]:
    import re
    html = response.get_data(as_text=True)
    table = html.split('class="table import-problems"')[1].split("</table>")[0]
    return [tuple(text_of(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S))
            for r in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)]
