"""The ledger 台账 (临沧 二(一): 登记备案, 跟踪台账): one row per item and unit, as an Excel workbook.

Read from each item's process data, like the statistics: every instance of the main process is
fetched in one query and deserialized once; its variables give the item and the assignment, each
unit's record comes from `unit_results` (finished) or from that unit's running `unit_handling`.
The office sees every item; a unit sees the rows of the units it belongs to (`units`).
"""
import io
from dataclasses import dataclass, fields
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import extract, select
from SpiffWorkflow.util.task import TaskState

from .. import clock
from ..engine.expressions import due_date
from ..engine.runtime import INSTANCE_COLUMNS, STATUS_LABELS
from ..models import HumanTask, Instance, Unit
from .statistics import MAIN_PROCESS, TYPE_LABELS

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLE_LABELS = {"single": "单办", "lead": "主办", "split": "分办", "co": "协办"}
SATISFACTION_LABELS = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
INTAKE_LABELS = {"reject": "不予立案", "merge": "并案办理", "to_opinion": "转为意见建议"}
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class LedgerRow:
    number: str = ""  # 编号 第0123号
    item_type: str = ""
    session: str = ""
    title: str = ""
    proposer: str = ""
    co_signers: str = ""
    unit: str = ""  # 承办单位 (name)
    role: str = ""  # 主办 / 协办 / 分办 / 单办
    assigned_on: date | None = None
    received_on: date | None = None
    due_on: date | None = None
    replied_on: date | None = None
    result_class: str = ""
    satisfaction: str = ""
    published: str = ""
    overdue: str = ""
    status: str = ""
    unit_code: str = ""  # not a column: for filtering
    instance_id: int | None = None  # not a column: the item page's link in the browser's ledger


COLUMNS = [("number", "编号", 12), ("item_type", "类型", 10), ("session", "届次", 11), ("title", "案由", 40),
           ("proposer", "领衔人", 10), ("co_signers", "附议人", 16), ("unit", "承办单位", 20), ("role", "办理角色", 9),
           ("assigned_on", "交办日期", 12), ("received_on", "签收日期", 12), ("due_on", "办理期限", 12),
           ("replied_on", "答复日期", 12), ("result_class", "办理结果", 9), ("satisfaction", "满意度", 12),
           ("published", "是否公开", 9), ("overdue", "是否超期", 9), ("status", "办理状态", 12)]


def ledger_rows(session, runtime, units: set[str] | None = None, year: int | None = None,
                today: date | None = None) -> list[LedgerRow]:
    """The ledger's rows: every item's (or, with `units`, those units' items'), oldest item first."""
    table = Instance.__table__
    query = select(*INSTANCE_COLUMNS).where(table.c.process_key == MAIN_PROCESS).order_by(table.c.id)
    if year:
        query = query.where(extract("year", table.c.started_at) == year)
    if units is not None:
        if not units:
            return []
        # the items these units were ever given a task of (签收核对 is the first): one subquery
        query = query.where(table.c.id.in_(select(HumanTask.instance_id).join(Unit, Unit.id == HumanTask.unit_id)
                                           .where(Unit.code.in_(sorted(units)))))
    names = dict(session.execute(select(Unit.code, Unit.name)).all())
    today = today or date.today()
    rows = []
    with clock.current().steady():  # due dates of every item: the rules and the calendar read once
        for row in session.connection().execute(query):
            workflow = runtime.unit_from_row(session, row, must_run=False).workflow
            data = _variables(workflow)
            scopes = _running_scopes(workflow, "unit_handling")
            for item_row in _item_rows(data, scopes, names, STATUS_LABELS.get(row.status, row.status), today):
                item_row.instance_id = row.id
                rows.append(item_row)
    if units is not None:
        rows = [r for r in rows if r.unit_code in units]
    return rows


def item_units(workflow, names: dict, instance_status: str, today: date) -> tuple[dict, list[LedgerRow]]:
    """One item's process variables and its units' ledger rows (role, dates, due, status), from a loaded
    workflow: the item page reads both with the one deserialization it needs for its raw variables."""
    data = _variables(workflow)
    rows = _item_rows(data, _running_scopes(workflow, "unit_handling"), names,
                      STATUS_LABELS.get(instance_status, instance_status), today)
    return data, [r for r in rows if r.unit_code]


def _variables(workflow) -> dict:
    """The process variables (as Runtime.variables computes them, from an already loaded workflow)."""
    data = dict(workflow.data)
    for task in workflow.get_tasks(state=_ACTIVE):
        data.update(task.data)
    if not data:
        finished = workflow.get_tasks(state=TaskState.COMPLETED)
        if finished:
            data.update(finished[-1].data)
    return data


def _running_scopes(workflow, process_key: str) -> list[dict]:
    """Each running called process `process_key`'s data (as Runtime.running_scopes computes them)."""
    scopes = []
    for sub in workflow.subprocesses.values():
        if sub.spec.name != process_key or sub.completed:
            continue
        data = {}
        for task in sub.get_tasks(state=_ACTIVE):
            data.update(task.data)
        scopes.append(data)
    return scopes


def _item_rows(data: dict, scopes: list[dict], names: dict, instance_status: str, today: date) -> list[LedgerRow]:
    item = LedgerRow(
        number=_number(data.get("item_no")),
        item_type=TYPE_LABELS.get(data.get("item_type"), data.get("item_type") or ""),
        session=str(data.get("session") or ""), title=str(data.get("title") or ""),
        proposer=str(data.get("proposer_name") or ""),
        co_signers="、".join(str(n) for n in (data.get("co_signer_names") or data.get("co_signers") or []) if n))
    decision = data.get("intake_decision")
    if decision != "register":
        item.status = INTAKE_LABELS.get(decision, "待立案审查" if instance_status == "办理中" else instance_status)
        return [item]
    assigned = _day(data.get("assigned_on"))
    accepted = {a.get("unit"): a for a in data.get("acceptances") or [] if isinstance(a, dict)}
    finished = {r.get("unit"): r for r in data.get("unit_results") or [] if isinstance(r, dict)}
    running = {s.get("unit"): s for s in scopes if s.get("unit")}
    units = [(h.get("unit"), h.get("role")) for h in data.get("handling_units") or [] if isinstance(h, dict)]
    units += [(u, "co") for u in data.get("co_units") or []]
    rows = []
    for code, role in units:
        record = finished.get(code) or running.get(code) or {}
        acceptance = accepted.get(code) or {}
        due = _due(record.get("due") or data.get("handling_due"))
        replied = _day(record.get("delivered_on"))
        evaluations = record.get("evaluations") or []
        late = bool(record.get("overdue")) or (role != "co" and not replied and due is not None and due < today)
        if role == "co":
            status = "协办"
        elif code in finished:
            status = "已办结"
        elif replied:
            status = "已答复"
        elif code in running:
            status = "办理中"
        elif acceptance.get("decision") == "object":
            status = "申请调整"
        else:
            status = "待签收" if not acceptance else "办理中"
        rows.append(LedgerRow(
            **{f.name: getattr(item, f.name) for f in fields(LedgerRow) if f.name in (
                "number", "item_type", "session", "title", "proposer", "co_signers")},
            unit=names.get(code, code or ""), unit_code=code or "", role=ROLE_LABELS.get(role, role or ""),
            assigned_on=assigned, received_on=_day(acceptance.get("on")), due_on=due, replied_on=replied,
            result_class=str(record.get("result_class") or "") if replied or code in finished else "",
            satisfaction="、".join(SATISFACTION_LABELS.get(e, str(e)) for e in evaluations),
            published=_yes_no(record.get("published")) if replied else "",
            overdue="是" if late else ("否" if role != "co" else ""), status=status))
    return rows or [item]


def _number(value) -> str:
    try:
        return f"第{int(value):04d}号"
    except (TypeError, ValueError):
        return str(value or "")


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _due(value) -> date | None:
    """A deadline held as `period(…)` or as a date/time."""
    if not value:
        return None
    try:
        return _day(due_date(value))
    except Exception:  # a deadline the calendar cannot compute now: shown empty, not a failed export
        return None


def _yes_no(value) -> str:
    return "是" if value else "否"


# --- the workbook ----------------------------------------------------------------------------------------

def ledger_workbook(rows: list[LedgerRow], title: str, generated_at: datetime | None = None) -> bytes:
    """The rows as an .xlsx: a title line, the header (frozen, with filters), one line per row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    width = len(COLUMNS)
    ws.cell(row=1, column=1, value=title).font = Font(name="黑体", size=14, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    stamp = (generated_at or datetime.now()).strftime("%Y-%m-%d %H:%M")
    ws.cell(row=2, column=1, value=f"导出时间：{stamp}　共 {len(rows)} 行").font = Font(name="宋体", size=10)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    for c, (_name, label, chars) in enumerate(COLUMNS, 1):
        cell = ws.cell(row=3, column=c, value=label)
        cell.font = Font(name="黑体", bold=True)
        cell.fill, cell.border = header_fill, border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = chars + 2
    for r, row in enumerate(rows, 4):
        for c, (name, _label, _chars) in enumerate(COLUMNS, 1):
            value = getattr(row, name)
            cell = ws.cell(row=r, column=c, value=value if value not in ("", None) else None)
            cell.border = border
            cell.font = Font(name="宋体", size=10, color="C00000" if name == "overdue" and value == "是" else None)
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
                cell.alignment = Alignment(horizontal="center")
            else:
                cell.alignment = Alignment(vertical="top", wrap_text=name in ("title", "co_signers", "unit"))
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{get_column_letter(width)}{max(3, 3 + len(rows))}"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
