"""A handling unit's annual summary 办理工作总结 (运城 六(一)): its practices, results, problems and
improvements, reported to the office."""
from dataclasses import dataclass
from datetime import date

from .report import DocumentError, Report, Section, numbered, render_report


@dataclass(kw_only=True)
class UnitSummary:
    unit_name: str
    year: int
    practices: str  # 主要做法
    results: str  # 取得成效
    problems: str  # 存在问题
    improvements: str  # 改进措施和对策建议
    sign_date: date
    addressee: str = "市政府办公室"

    def __post_init__(self):
        for name in ("unit_name", "practices", "results", "problems", "improvements", "addressee"):
            setattr(self, name, str(getattr(self, name) or "").strip())
        if not self.unit_name:
            raise DocumentError("办理工作总结缺少承办单位名称（unit_name）")
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 1000 <= self.year <= 9999:
            raise DocumentError(f"年度应为四位数：{self.year!r}")
        if not any((self.practices, self.results, self.problems, self.improvements)):
            raise DocumentError(f"{self.unit_name}的办理工作总结没有内容")

    @property
    def title(self) -> str:
        return f"{self.unit_name}{self.year}年度建议提案办理工作总结"

    def report(self) -> Report:
        intro = f"现将本单位{self.year}年度人大代表建议和政协提案办理工作总结如下："
        body = numbered([Section("主要做法", self.practices), Section("取得成效", self.results),
                         Section("存在问题", self.problems), Section("改进措施和对策建议", self.improvements)])
        return Report(title=self.title, addressee=self.addressee, blocks=[intro, body], sign_unit=self.unit_name,
                      sign_date=self.sign_date, kind="办理工作总结")


def render_unit_summary(summary: UnitSummary) -> bytes:
    return render_report(summary.report())
