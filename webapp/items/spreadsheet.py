"""The spreadsheet of a batch (大会期间由人大议案建议组、政协提案组批量交来): the import template and
reading a filled one, free of Flask.

The template (`template_workbook`) has the sheet 事项 with one Chinese header per column (required
ones marked *), drop-downs where the value comes from a list, the sheet 可选值 with the allowed values
and 填写说明 with what each column takes. `read_workbook` turns a filled file back into the values
`intake.check_item` reads — labels such as 人大建议 (or their short form, 集体 for 集体（党派…）) or 是 become
the codes and flags it expects — and
reports what cannot be read at all (no header, a wrong yes/no, too many rows) per row and column.
Columns are found by their header, so their order does not matter; unknown columns are skipped.
"""
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from .intake import MAX_ITEM_NO
from .vocabulary import CATEGORIES, ITEM_TYPES, KEY_SOURCES, PROPOSER_TYPES, SOURCES, TIMINGS

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET, VALUES_SHEET, HELP_SHEET = "事项", "可选值", "填写说明"
MAX_ROWS = 2000          # data rows in one file (a 两会 brings a few hundred)
MAX_SCANNED_ROWS = 20000  # rows looked at, blank ones included, before reading stops
TEMPLATE_ROWS = 1000     # rows the template's drop-downs cover
YES, NO = "是", "否"
_YES = {"是", "y", "yes", "true", "1", "√", "on"}
_NO = {"否", "n", "no", "false", "0", "×", "off"}


@dataclass(frozen=True)
class Column:
    key: str            # the field of intake.check_item
    header: str         # the Chinese header in row 1
    width: int
    help: str
    required: bool = False
    choices: dict | None = None   # code -> label (the label is what the sheet shows)
    flag_default: bool | None = None  # yes/no columns: the value of a blank cell


COLUMNS = [
    Column("item_type", "类型", 12, "人大建议、政协提案或议案转建议（从下拉列表选择）。", True, ITEM_TYPES),
    Column("session", "届次", 12, "如“十七届五次”。", True),
    Column("item_no", "编号", 8, f"正整数 1—{MAX_ITEM_NO}，显示为“第0123号”；同一类型、同一届次内不能重复。", True),
    Column("timing", "提出时间", 12, "大会期间、闭会期间或日常来信来访。", True, TIMINGS),
    Column("title", "案由", 36, "如“关于改善城区公交线路的建议”，不超过 300 字。", True),
    Column("body", "正文", 50, "建议、提案的全文；单元格内可换行（Alt+Enter）。", True),
    Column("category", "类别", 12, "从下拉列表选择。", True, {c: c for c in CATEGORIES}),
    Column("subcategory", "子类", 12, "可不填。"),
    Column("proposer_type", "提出方式", 12, "个人、联名或集体（党派、人民团体、界别、专委会、代表团）。", True, PROPOSER_TYPES),
    Column("proposer", "领衔人账号", 14, "领衔代表、委员在本系统的用户名（有账号的才填）。"),
    Column("proposer_name", "领衔人（提出单位）名称", 20, "领衔人姓名或提出单位名称；填写了领衔人账号的可不填。"),
    Column("co_signers", "附议人/联名人账号", 20, "有账号的附议人、联名人的用户名，以逗号分隔。"),
    Column("co_signer_names", "附议人/联名人姓名", 24, "没有账号的附议人、联名人的姓名，以顿号分隔；联名提出的必须填写附议人/联名人。"),
    Column("contact", "联系方式", 20, "电话、地址等，可不填。"),
    Column("suggested_units", "建议承办单位", 20, "提出人建议的承办单位，可不填。"),
    Column("source", "来源渠道", 22, "不填时：人大建议、议案转建议为“人大议案建议组（大会批量）”，政协提案为“政协提案组（大会批量）”。",
           choices=SOURCES),
    Column("received_on", "收件日期", 12, "日期，如 2026-03-08；不填为导入当天，不能晚于今天。"),
    Column("key_source", "重点督办", 22, "不填为“非重点”；人大、政协确定的重点督办或承办单位确定的本单位重点。", choices=KEY_SOURCES),
    Column("key_leader", "领办领导", 12, "重点事项的领办领导，可不填。"),
    Column("publication_consent", "同意公开答复", 12, "是或否；不填为“是”。", flag_default=True),
    Column("proposer_requested_face_to_face", "要求面商", 10, "是或否；不填为“否”。", flag_default=False),
]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
# The column a problem with a field is shown under (fields of intake.check_item without a column of their own).
FIELD_COLUMN = {c.key: c.header for c in COLUMNS} | {"is_key": "重点督办"}
BATCH_SOURCE = {"proposal": "cppcc_batch"}  # a blank 来源渠道: the batch of the item's type
DEFAULT_BATCH_SOURCE = "npc_batch"


@dataclass
class Problem:
    """Something wrong in one cell (row number as Excel shows it, the column's header) or in the file."""
    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Sheet:
    rows: list[tuple[int, dict]] = field(default_factory=list)   # (Excel row number, values for check_item)
    problems: list[Problem] = field(default_factory=list)
    skipped_columns: list[str] = field(default_factory=list)     # headers that are not ours


class UnreadableFile(ValueError):
    """Not an .xlsx file openpyxl can open; the message is for the user."""


# --- the template ------------------------------------------------------------------------------------

def template_workbook() -> bytes:
    """The import template as .xlsx bytes: 事项 (header and drop-downs), 可选值, 填写说明."""
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    values = wb.create_sheet(VALUES_SHEET)
    guide = wb.create_sheet(HELP_SHEET)

    head_fill = PatternFill("solid", fgColor="DDE7F3")
    for index, column in enumerate(COLUMNS, 1):
        cell = ws.cell(row=1, column=index, value=column.header + ("*" if column.required else ""))
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.comment = Comment(column.help, "建议提案办理系统", width=260, height=90)
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30
    letter = {c.key: get_column_letter(i) for i, c in enumerate(COLUMNS, 1)}
    ws.column_dimensions[letter["received_on"]].number_format = "yyyy-mm-dd"
    for row in range(2, TEMPLATE_ROWS + 2):
        ws[f"{letter['received_on']}{row}"].number_format = "yyyy-mm-dd"
        ws[f"{letter['body']}{row}"].alignment = Alignment(wrap_text=True, vertical="top")

    # 可选值: one column per list, the drop-downs of 事项 point at them.
    listed = [c for c in COLUMNS if c.choices] + [Column("flag", "是/否", 8, "")]
    for index, column in enumerate(listed, 1):
        options = list(column.choices.values()) if column.choices else [YES, NO]
        values.cell(row=1, column=index, value=column.header).font = Font(bold=True)
        for offset, label in enumerate(options, 2):
            values.cell(row=offset, column=index, value=label)
        col = get_column_letter(index)
        values.column_dimensions[col].width = max(12, max(len(o) for o in options) * 2 + 2)
        source = f"{quote_sheetname(VALUES_SHEET)}!${col}$2:${col}${len(options) + 1}"
        targets = [c for c in COLUMNS if c is column or (column.key == "flag" and c.flag_default is not None)]
        for target in targets:
            _drop_down(ws, source, f"{letter[target.key]}2:{letter[target.key]}{TEMPLATE_ROWS + 1}", target.header)
    values.freeze_panes = "A2"

    number = DataValidation(type="whole", operator="between", formula1="1", formula2=str(MAX_ITEM_NO),
                            allow_blank=True, showErrorMessage=True, errorTitle="编号",
                            error=f"编号应为 1 至 {MAX_ITEM_NO} 之间的整数。")
    number.add(f"{letter['item_no']}2:{letter['item_no']}{TEMPLATE_ROWS + 1}")
    ws.add_data_validation(number)
    day = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True,
                         showErrorMessage=True, errorTitle="收件日期", error="请填写日期，如 2026-03-08。")
    day.add(f"{letter['received_on']}2:{letter['received_on']}{TEMPLATE_ROWS + 1}")
    ws.add_data_validation(day)

    guide.append(["列名", "是否必填", "填写要求"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        choices = f"可选：{'、'.join(column.choices.values())}。" if column.choices else ""
        guide.append([column.header, "必填" if column.required else "", column.help + choices])
    guide.append([])
    guide.append(["说明", "", f"从第 2 行起每行一件；一次最多 {MAX_ROWS} 行。任何一行有误时整个文件都不导入，"
                              "请按提示改正后重新上传。列的顺序可以调整，但列名不要修改。"])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 90
    for row in guide.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _drop_down(ws, source: str, cells: str, title: str):
    check = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                           errorTitle=title, error="请从下拉列表中选择（可选值见“可选值”工作表）。")
    check.add(cells)
    ws.add_data_validation(check)


# --- reading a filled file -----------------------------------------------------------------------------

def read_workbook(data: bytes) -> Sheet:
    """The rows of a filled template (blank rows skipped), as values for intake.check_item, and what
    could not be read. Raises UnreadableFile when the bytes are not an .xlsx file."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as e:
        raise UnreadableFile("文件无法读取：请上传用导入模板填写的 Excel 文件（.xlsx）。") from e
    try:
        ws = wb[DATA_SHEET] if DATA_SHEET in wb.sheetnames else wb.worksheets[0]
        return _read_sheet(ws)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as e:
        raise UnreadableFile("文件内容已损坏，无法读取：请用导入模板重新填写。") from e
    finally:
        wb.close()


def _read_sheet(ws) -> Sheet:
    sheet = Sheet()
    lines = ws.iter_rows(values_only=True)
    header = next(lines, None)
    by_header = {_header_key(c.header): c for c in COLUMNS}
    positions: dict[int, Column] = {}
    for index, value in enumerate(header or ()):
        name = _header_key(value)
        if not name:
            continue
        column = by_header.get(name)
        if column is None:
            sheet.skipped_columns.append(str(value).strip())
        elif column not in positions.values():
            positions[index] = column
    missing = [c.header for c in COLUMNS if c.required and c not in positions.values()]
    if missing:
        sheet.problems.append(Problem(1, "、".join(missing), f"缺少必填的列：{'、'.join(missing)}。请使用导入模板，"
                                                           "不要修改第 1 行的列名。"))
        return sheet
    for number, line in enumerate(lines, 2):
        if number > MAX_SCANNED_ROWS:
            break
        cells = {column.key: line[index] if index < len(line) else None for index, column in positions.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            sheet.problems.append(Problem(number, "", f"一个文件最多导入 {MAX_ROWS} 行，请拆分成几个文件分别导入。"))
            break
        values, problems = _row_values(number, cells)
        sheet.rows.append((number, values))
        sheet.problems += problems
    if not sheet.rows and not sheet.problems:
        sheet.problems.append(Problem(None, "", "文件中没有事项：请从第 2 行起每行填写一件。"))
    return sheet


def _row_values(number: int, cells: dict) -> tuple[dict, list[Problem]]:
    """One row's cells as check_item's values: list labels to codes, 是/否 to flags, numbers and dates
    as Excel stores them to text."""
    values, problems = {}, []
    for key, raw in cells.items():
        column = COLUMN_BY_KEY[key]
        if column.flag_default is not None:
            flag = _flag(raw, column.flag_default)
            if flag is None:
                problems.append(Problem(number, column.header, f"应填“{YES}”或“{NO}”，不能填“{_plain(raw)}”。"))
            values[key] = "on" if flag else ""
        elif column.choices:
            text = _plain(raw)
            values[key] = next((code for code, label in column.choices.items()
                                if text in (label, code, label.split("（")[0])), text)
        elif key == "received_on":
            values[key] = raw.date() if isinstance(raw, datetime) else raw if isinstance(raw, date) else _plain(raw)
        else:
            values[key] = _plain(raw, keep_lines=key in ("body", "suggested_units"))
    if not values.get("source"):
        values["source"] = BATCH_SOURCE.get(values.get("item_type"), DEFAULT_BATCH_SOURCE)
    values.setdefault("publication_consent", "on")
    return values, problems


def _header_key(value) -> str:
    """A header as written, without the required mark and spaces: “ 案由* ” -> 案由."""
    if value is None:
        return ""
    text = "".join(str(value).split()).replace("／", "/").replace("(", "（").replace(")", "）")
    return text.rstrip("*＊").replace("（必填）", "")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plain(value, keep_lines: bool = False) -> str:
    """A cell as text: whole numbers without “.0”, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip() if keep_lines else " ".join(text.split())


def _flag(value, default: bool) -> bool | None:
    if _blank(value):
        return default
    if isinstance(value, bool):
        return value
    text = _plain(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def problems_for_row(number: int, errors: dict[str, str]) -> list[Problem]:
    """check_item's errors (field -> message) as problems of a row, under the columns' headers."""
    return [Problem(number, FIELD_COLUMN.get(key, key), message) for key, message in errors.items()]
