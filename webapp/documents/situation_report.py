"""The situation report 情况报告 on a key item (“四个一”的一份情况报告, 临沧 三(三)): the unit reports to
the office how the plan, the joint investigation and the face-to-face meeting went and where the
handling stands."""
from dataclasses import dataclass
from datetime import date

from .report import DocumentError, ItemRef, Report, Section, numbered, render_report


@dataclass(kw_only=True)
class SituationReport:
    unit_name: str
    item: ItemRef
    text: str  # 办理情况报告, the unit's own words
    sign_date: date
    addressee: str = "市政府办公室"
    plan_lead: str = ""  # 领办的主要领导
    investigation_date: str = ""
    investigation_participants: str = ""
    investigation_findings: str = ""
    meeting_date: str = ""
    meeting_participants: str = ""
    meeting_summary: str = ""
    contact_person: str = ""
    contact_phone: str = ""

    def __post_init__(self):
        for name in ("unit_name", "text", "addressee", "plan_lead", "investigation_date", "investigation_participants",
                     "investigation_findings", "meeting_date", "meeting_participants", "meeting_summary",
                     "contact_person", "contact_phone"):
            setattr(self, name, str(getattr(self, name) or "").strip())
        if not self.unit_name:
            raise DocumentError("情况报告缺少承办单位名称（unit_name）")
        if not self.text:
            raise DocumentError("情况报告缺少办理情况（text）")

    @property
    def title(self) -> str:
        return f"{self.unit_name}关于{self.item.reference}办理情况的报告"

    def report(self) -> Report:
        intro = f"按照重点建议提案“四个一”工作制度，现将{self.item.described}的办理情况报告如下："
        plan = f"工作方案经本单位主要领导审定，由{self.plan_lead}直接领办。" if self.plan_lead else ""
        investigation = "；".join(p for p in (_dated(self.investigation_date, self.investigation_participants, "参加"),
                                              self.investigation_findings) if p)
        meeting = "；".join(p for p in (_dated(self.meeting_date, self.meeting_participants, "参加"),
                                        self.meeting_summary) if p)
        body = numbered([
            Section("工作方案", plan),
            Section("联合调研", _sentence(investigation)),
            Section("面商会议", _sentence(meeting)),
            Section("办理情况", self.text),
        ])
        note = ""
        if self.contact_person or self.contact_phone:
            parts = [f"联系人：{self.contact_person}" if self.contact_person else "",
                     f"联系电话：{self.contact_phone}" if self.contact_phone else ""]
            note = "（" + "，".join(p for p in parts if p) + "）"
        return Report(title=self.title, addressee=self.addressee, blocks=[intro, body], sign_unit=self.unit_name,
                      sign_date=self.sign_date, note=note, kind="情况报告")


def _dated(day: str, participants: str, verb: str) -> str:
    day = _chinese_day(day)
    if day and participants:
        return f"{day}，{participants}{verb}"
    return day or (f"{participants}{verb}" if participants else "")


def _chinese_day(value: str) -> str:
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{d.year}年{d.month}月{d.day}日"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in "。！？；" else text + "。"


def render_situation_report(report: SituationReport) -> bytes:
    return render_report(report.report())
