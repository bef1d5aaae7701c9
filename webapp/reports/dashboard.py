"""The statistics page's figures and its Excel export, from the snapshot's item records (free of Flask).

`dashboard(records, unit_names)` counts what the page shows: the annual report's figures
(`statistics.summarize`), each unit's row (`snapshot.unit_table`), result classes and satisfaction
as counts. `workbook(...)` writes the same figures as an .xlsx with one sheet per breakdown.
"""
import io
from collections import Counter
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..clock import OFFICE_TZ
from .snapshot import unit_table
from .statistics import TYPE_LABELS, summarize

CLASSES = ("A", "B", "C")  # always shown; other classes (e.g. D) when replies have them
SATISFACTION_LABELS = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}


def dashboard(records: list[dict], unit_names: dict[str, str]) -> dict:
    summary = summarize(records)
    replies = [reply for r in records if r["intake_decision"] == "register" for reply in r["replies"]]
    found = Counter(reply["result_class"] for reply in replies if reply["result_class"])
    classes = {c: found.get(c, 0) for c in sorted(set(CLASSES) | set(found))}
    evaluations = Counter(e for reply in replies for e in reply["evaluations"])
    units = [(unit_names.get(code, code), row) for code, row in unit_table(records).items()]
    units.sort(key=lambda u: (-u[1]["assigned"], u[0]))
    return {
        "summary": summary,
        "units": units,
        "classes": classes,
        "satisfaction": {label: evaluations.get(key, 0) for key, label in SATISFACTION_LABELS.items()},
        "by_type": summary["by_type"],
        "by_category": dict(sorted(summary["by_category"].items(), key=lambda kv: (-kv[1], kv[0]))),
        "evaluated": sum(evaluations.values()),
    }


def chart_data(figures: dict) -> dict:
    """What the page's charts draw (JSON for statistics.js)."""
    units = figures["units"]
    return {
        "units": {"labels": [name for name, _ in units],
                  "assigned": [row["assigned"] for _, row in units],
                  "replies": [row["replies"] for _, row in units],
                  "on_time": [row["on_time"] for _, row in units]},
        "categories": {"labels": list(figures["by_category"]), "values": list(figures["by_category"].values())},
        "types": {"labels": list(figures["by_type"]), "values": list(figures["by_type"].values())},
        "classes": {"labels": [f"{c}类" for c in figures["classes"]], "values": list(figures["classes"].values())},
        "satisfaction": {"labels": list(figures["satisfaction"]), "values": list(figures["satisfaction"].values())},
    }


def filter_label(year: int | None, item_session: str | None, item_type: str | None = None) -> str:
    parts = [f"{year}年" if year else "全部年度", item_session or "全部届次"]
    if item_type:
        parts.append(TYPE_LABELS.get(item_type, item_type))
    return " · ".join(parts)


def _percent(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def summary_rows(figures: dict) -> list[tuple[str, object]]:
    s = figures["summary"]
    return [("收件", s["received"]), ("立案", s["registered"]), ("不予立案、并案、转意见建议", s["not_registered"]),
            ("重点事项", s["key_items"]), ("已答复（单位答复件次）", s["replies_finished"]),
            ("按时办结率", _percent(s["on_time_rate"])),
            ("满意率（含基本满意）", _percent(s["satisfaction_rate"])),
            ("满意", s["satisfied"]), ("基本满意", s["basically_satisfied"]), ("不满意", s["unsatisfied"]),
            ("面商率", _percent(s["face_to_face_rate"]))]


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEAD_FILL = PatternFill("solid", fgColor="1D3557")
_HEAD_FONT = Font(bold=True, color="FFFFFF")


def workbook(figures: dict, label: str, computed_at: datetime | None) -> bytes:
    """The figures as an Excel workbook: 概览, 按承办单位, 按类别, 按类型, 办理结果."""
    wb = Workbook()
    when = computed_at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M") if computed_at else "—"
    subtitle = f"统计范围：{label}；数据截至 {when}（统计快照）"

    def sheet(title, heading, header, rows, widths):
        ws = wb.active if wb.active.title == "Sheet" else wb.create_sheet()
        ws.title = title
        ws["A1"] = heading
        ws["A1"].font = Font(bold=True, size=14)
        ws["A2"] = subtitle
        ws["A2"].font = Font(color="666666")
        ws.append([])
        ws.append(header)
        for cell in ws[4]:
            cell.fill, cell.font = _HEAD_FILL, _HEAD_FONT
            cell.alignment = Alignment(horizontal="center")
        for row in rows:
            ws.append(list(row))
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A5"
        return ws

    sheet("概览", "建议提案办理情况统计", ["指标", "数值"], summary_rows(figures), [28, 14])
    unit_rows = [(name, r["assigned"], r["key_items"], r["replies"], r["on_time"], _percent(r["on_time_rate"]),
                  r["evaluations"], r["satisfied"], r["basically"], r["unsatisfied"], _percent(r["satisfaction_rate"]),
                  *(r["classes"].get(c, 0) for c in figures["classes"]), _percent(r["face_to_face_rate"]))
                 for name, r in figures["units"]]
    sheet("按承办单位", "按承办单位统计",
          ["承办单位", "交办件数", "重点事项", "已答复", "按时答复", "按时办结率", "测评人次", "满意", "基本满意", "不满意",
           "满意率", *(f"{c}类" for c in figures["classes"]), "面商率"],
          unit_rows, [22, 10, 10, 10, 10, 12, 10, 8, 10, 8, 10, *(8 for _ in figures["classes"]), 10])
    sheet("按类别", "按类别统计（立案件数）", ["类别", "件数"], list(figures["by_category"].items()), [16, 10])
    sheet("按类型", "按类型统计（立案件数）", ["类型", "件数"], list(figures["by_type"].items()), [16, 10])
    shares = figures["summary"]["class_shares"]
    sheet("办理结果", "办理结果分类", ["分类", "件次", "占比"],
          [(f"{c}类", n, _percent(shares.get(c, 0.0 if figures["summary"]["replies_finished"] else None)))
           for c, n in figures["classes"].items()], [10, 10, 10])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
