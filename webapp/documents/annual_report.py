"""The office's annual report 办理工作情况报告 (运城 六(二)): the office's text and the year's statistics
(webapp/reports/statistics.py) as tables, for the 人大常委会 and the 政协常委会."""
from dataclasses import dataclass, field
from datetime import date

from .report import DocumentError, Report, Table, render_report

RESULT_CLASS_LABELS = {"A": "A类（已经解决或基本解决）", "B": "B类（列入计划逐步解决）",
                       "C": "C类（条件不具备暂时无法解决）"}


@dataclass(kw_only=True)
class AnnualReport:
    year: int
    text: str  # the office's report: 成效、问题、改进措施 (one paragraph per line)
    statistics: dict  # annual_statistics(): counts, rates and shares
    sign_unit: str
    sign_date: date
    addressee: str = "市人大常委会、市政协常委会"
    unit_names: dict = field(default_factory=dict)  # unit code -> name, for the table by unit

    def __post_init__(self):
        self.text = str(self.text or "").strip()
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 1000 <= self.year <= 9999:
            raise DocumentError(f"年度应为四位数：{self.year!r}")
        if not self.text:
            raise DocumentError("办理工作情况报告缺少正文")
        if not isinstance(self.statistics, dict):
            raise DocumentError("办理工作情况报告缺少统计数据（statistics）")

    @property
    def title(self) -> str:
        return f"关于{self.year}年度人大代表建议和政协提案办理工作情况的报告"

    def tables(self) -> list[Table]:
        s = self.statistics
        registered = s.get("registered") or 0
        tables = [Table("表1　总体情况", ["项目", "件数"], [
            ["收到建议、提案", _n(s.get("received"))],
            ["立案", _n(s.get("registered"))],
            ["不予立案、并案或转为意见建议", _n(s.get("not_registered"))],
            ["其中重点建议、重点提案", _n(s.get("key_items"))],
            ["已答复（按承办单位计）", _n(s.get("replies_finished"))],
        ], widths=[3, 1])]
        by_type = s.get("by_type") or {}
        if by_type:
            tables.append(Table("表2　按类型统计", ["类型", "立案件数", "占比"],
                                [[k, _n(v), _share(v, registered)] for k, v in by_type.items()], widths=[2, 1, 1]))
        by_category = s.get("by_category") or {}
        if by_category:
            tables.append(Table(f"表{len(tables) + 1}　按类别统计", ["类别", "立案件数", "占比"],
                                [[k, _n(v), _share(v, registered)] for k, v in by_category.items()],
                                widths=[2, 1, 1]))
        by_unit = s.get("by_unit") or {}
        if by_unit:
            rows = sorted(((self.unit_names.get(k, k), v) for k, v in by_unit.items()), key=lambda r: (-r[1], r[0]))
            tables.append(Table(f"表{len(tables) + 1}　按承办单位统计", ["承办单位", "承办件数"],
                                [[name, _n(v)] for name, v in rows], widths=[3, 1],
                                note="注：主办、分办、单办单位计入，协办单位不计。"))
        quality = [
            ["按时办结率", _rate(s.get("on_time_rate"))],
            ["满意率（含基本满意）", _rate(s.get("satisfaction_rate"))],
            ["其中：满意", _n(s.get("satisfied"))],
            ["　　　基本满意", _n(s.get("basically_satisfied"))],
            ["不满意", _n(s.get("unsatisfied"))],
            ["面商率", _rate(s.get("face_to_face_rate"))],
        ]
        quality += [[RESULT_CLASS_LABELS.get(c, f"{c}类") + "占比", _rate(v)]
                    for c, v in (s.get("class_shares") or {}).items()]
        tables.append(Table(f"表{len(tables) + 1}　办理质量", ["指标", "数值"], quality, widths=[3, 1],
                            note="注：比率按承办单位的答复计；满意度按每次测评计。"))
        return tables

    def report(self) -> Report:
        blocks = [self.text, f"附：{self.year}年度建议提案办理情况统计", *self.tables()]
        return Report(title=self.title, addressee=self.addressee, blocks=blocks, sign_unit=self.sign_unit,
                      sign_date=self.sign_date, kind="办理工作情况报告")


def _n(value) -> str:
    return "0" if value is None else str(value)


def _rate(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _share(part, whole) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "—"


def render_annual_report(report: AnnualReport) -> bytes:
    return render_report(report.report())
