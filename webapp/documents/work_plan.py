"""The work plan 工作方案 of a key item (重点建议提案“四个一”, 临沧 三(三)): what the unit will do, its
timetable and the leader who leads the item personally, as approved by the unit's head."""
from dataclasses import dataclass, field
from datetime import date

from .report import DocumentError, ItemRef, Report, Section, numbered, render_report


@dataclass(kw_only=True)
class WorkPlan:
    unit_name: str  # 承办单位, the signature
    item: ItemRef
    plan: str  # 任务分工、措施、质量标准
    timetable: str  # 时间表与施工图
    lead: str  # 领办的主要领导
    approved_on: date  # 主要领导审定之日, the date of the plan
    co_units: list[str] = field(default_factory=list)  # 协办单位 names

    def __post_init__(self):
        for name, label in (("unit_name", "承办单位名称"), ("plan", "工作方案"), ("timetable", "时间表"),
                            ("lead", "领办领导")):
            setattr(self, name, str(getattr(self, name) or "").strip())
            if not getattr(self, name):
                raise DocumentError(f"工作方案缺少{label}（{name}）")

    @property
    def title(self) -> str:
        return f"{self.unit_name}关于{self.item.reference}的办理工作方案"

    def report(self) -> Report:
        noun = self.item.noun
        intro = (f"{self.item.described}已列为重点{noun}。为按照“一个工作方案、一次联合调研、一场面商会议、"
                 f"一份情况报告”的要求办好该{noun}，制定本方案。")
        body = numbered([
            Section("工作任务和措施", self.plan),
            Section("时间表和施工图", self.timetable),
            Section("组织领导", f"本{noun}由{self.lead}直接领办，分管领导牵头负责，业务科室具体承办；"
                            "联合代表委员和督办单位、协办单位开展调研和面商。"),
            Section("协办单位", "、".join(self.co_units) + "按照协办职责积极配合。" if self.co_units else ""),
        ])
        return Report(title=self.title, blocks=[intro, body], sign_unit=self.unit_name, sign_date=self.approved_on,
                      kind="工作方案")


def render_work_plan(plan: WorkPlan) -> bytes:
    return render_report(plan.report())
