"""Reading a filled import template (webapp/items/spreadsheet.py): labels to codes, yes/no to flags,
Excel's numbers and dates to what intake.check_item reads; headers found by name."""
import io
from datetime import date, datetime

from openpyxl import Workbook

from webapp.items.spreadsheet import COLUMNS, read_workbook


def sheet(header: list, *lines: list) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for line in lines:
        ws.append(line)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


REQUIRED = [c.header + "*" for c in COLUMNS if c.required]


def test_labels_numbers_dates_and_flags_become_what_intake_reads():
    header = REQUIRED + [" 收件日期 ", "同意公开答复", "要求面商（必填）", "来源渠道", "重点督办", "附议人／联名人姓名"]
    line = ["议案转建议", "十七届五次", 123.0, "闭会期间", "  关于  公交 ", "一、现状\r\n不足。\n", "交通运输", "集体",
            datetime(2026, 3, 8, 0, 0), "否", "Y", "代表履职服务平台", "unit", "张三、李四"]
    read = read_workbook(sheet(header, line))
    assert read.problems == [] and read.skipped_columns == []
    [(number, values)] = read.rows
    assert number == 2
    assert values == dict(item_type="motion_to_suggestion", session="十七届五次", item_no="123", timing="recess",
                          title="关于 公交", body="一、现状\n不足。", category="交通运输", proposer_type="collective",
                          received_on=date(2026, 3, 8), publication_consent="", proposer_requested_face_to_face="on",
                          source="npc_platform", key_source="unit", co_signer_names="张三、李四")


def test_blank_cells_take_the_batch_defaults_and_unknown_values_pass_to_the_checks():
    read = read_workbook(sheet(REQUIRED + ["同意公开答复", "备注"],
                               ["政协提案", "十一届四次", "0045", "大会期间", "案由", "正文", "其他", "个人", None, "加急"],
                               [None] * 10,
                               ["提案", "十一届四次", "46", "大会期间", "案由", "正文", "其他", "个人", "可能", None]))
    assert read.skipped_columns == ["备注"]
    (first_no, first), (second_no, second) = read.rows
    assert (first_no, second_no) == (2, 4)  # the blank line 3 is skipped
    assert (first["item_no"], first["source"], first["publication_consent"]) == ("0045", "cppcc_batch", "on")
    assert second["item_type"] == "提案" and second["source"] == "npc_batch"  # check_item will refuse the type
    assert [(p.row, p.column, p.message) for p in read.problems] == [(4, "同意公开答复", "应填“是”或“否”，不能填“可能”。")]
