"""Consultation records (先协商后答复, PROCESS.md §3.5) as business records the proposer confirms.

The handler records each consultation with the proposer in a user task of bpmn/unit_handling.bpmn
(办前协商, 办中协商, 面商并记录); the service task `record_consultation` (登记协商记录) after it writes the
record to `consultation_records` in the transaction that completes the job, and sends the lead
proposer a notice (in the app, and a mail if he has an address) asking him to confirm it on the item's
page (webapp/web/consultations.py). A retried job writes its row once: the row is keyed by the
instance and the service task's run (its task guid). An instance without an item record (a test run
of the diagram) writes no row and sends no notice.
"""
from datetime import date, datetime

from sqlalchemy import select

from service_tasks import Parameter, topic
from webapp.engine.expressions import is_wrapped

STAGES = {"before": "办前协商", "during": "办中协商", "face_to_face": "面商", "after": "办后协商"}
METHODS = {"face_to_face": "面商", "forum": "座谈", "visit": "走访", "phone": "电话", "video": "视频",
           "online": "网络", "written": "书面"}
PARTICIPANTS_MAX = 200  # the column's size, and the forms' maxlength
SUMMARY_MAX = 20000


def _check(parameters: dict[str, str]) -> list[str]:
    """Deploy-time: literal stages and methods from the vocabularies."""
    problems = []
    stage = parameters.get("stage")
    if stage is not None and not is_wrapped(stage) and stage.strip() not in STAGES:
        problems.append(f"协商阶段“{stage}”应为 {'、'.join(STAGES)} 之一")
    method = parameters.get("method")
    if method is not None and not is_wrapped(method) and method.strip() not in METHODS:
        problems.append(f"协商方式“{method}”应为 {'、'.join(METHODS)} 之一")
    return problems


@topic("record_consultation", "登记协商记录", [
    Parameter("unit", "承办单位（单位代码）", required=True),
    Parameter("stage", "协商阶段：before（办前）、during（办中）、face_to_face（面商）或 after（办后）", required=True),
    Parameter("method", "协商方式：face_to_face、forum、visit、phone、video、online 或 written", required=True),
    Parameter("held_on", "协商日期（如 2026-11-24）", required=True),
    Parameter("participants", "参加人员"),
    Parameter("summary", "协商情况", required=True),
    Parameter("notify_proposer", "是否通知领衔人确认（默认 true）"),
], check=_check)
def record_consultation(ctx, unit=None, stage=None, method=None, held_on=None, participants="", summary="",
                        notify_proposer=True):
    """Writes the consultation to the item's consultation records (状态“待确认”) and asks the lead
    proposer to confirm it: an in-app notice and, if he has an address, a mail (once per job).
    Returns `consultation_recorded` (whether the instance has an item to record it for)."""
    values = checked_values(unit=unit, stage=stage, method=method, held_on=held_on, participants=participants,
                            summary=summary)
    from webapp.models import Item, Unit
    with ctx.db.read() as session:
        item = session.scalar(select(Item).where(Item.instance_id == ctx.instance_id))
        if item is None:
            return {"consultation_recorded": False}
        unit_row = session.scalar(select(Unit).where(Unit.code == values["unit_code"]))
        if unit_row is None:
            raise ValueError(f"承办单位“{values['unit_code']}”不存在")
        item_id, proposer, title = item.id, item.proposer, item.title
        unit_name = unit_row.name
    instance_id, job_id = ctx.instance_id, ctx.job_id
    ctx.in_transaction(lambda session: write_record(session, instance_id, item_id, job_id, values))
    if proposer and _flag(notify_proposer) and ctx.resolve_users(users=[proposer]):
        from service_tasks.notifications import notify
        notify(ctx, subject=f"请确认协商记录：{title}"[:300], users=[proposer],
               body=(f"{unit_name}记录了{values['held_on'].isoformat()}与您的{STAGES[values['stage']]}"
                     f"（{METHODS[values['method']]}）：\n{values['summary']}\n\n"
                     "请在事项页面的“协商记录”中确认；如与实际情况不符，请选择“有异议”并说明。"))
    return {"consultation_recorded": True}


def checked_values(unit=None, stage=None, method=None, held_on=None, participants="", summary="") -> dict:
    """The parameters as column values; raises ValueError (a Chinese message) for a bad one."""
    unit_code = str(unit or "").strip()
    if not unit_code:
        raise ValueError("登记协商记录缺少承办单位（参数 unit）")
    stage = str(stage or "").strip()
    if stage not in STAGES:
        raise ValueError(f"协商阶段“{stage}”应为 {'、'.join(STAGES)} 之一")
    method = str(method or "").strip()
    if method not in METHODS:
        raise ValueError(f"协商方式“{method}”应为 {'、'.join(METHODS)} 之一")
    day = _day(held_on)
    participants = " ".join(str(participants or "").split())
    if len(participants) > PARTICIPANTS_MAX:
        raise ValueError(f"参加人员不能超过 {PARTICIPANTS_MAX} 个字（现为 {len(participants)} 个字）")
    summary = str(summary or "").strip()
    if not summary:
        raise ValueError("协商记录缺少协商情况（参数 summary）")
    if len(summary) > SUMMARY_MAX:
        raise ValueError(f"协商情况不能超过 {SUMMARY_MAX} 个字（现为 {len(summary)} 个字）")
    return {"unit_code": unit_code, "stage": stage, "method": method, "held_on": day,
            "participants": participants, "summary": summary}


def write_record(session, instance_id: int, item_id: int, job_id: int, values: dict):
    """Add the record of the job's run (in the job's completing transaction), unless it exists already."""
    from webapp.models import ConsultationRecord, HumanTask, Job, Unit, User
    job_key = session.scalar(select(Job.task_guid).where(Job.id == job_id)) or f"job-{job_id}"
    existing = session.scalar(select(ConsultationRecord).where(ConsultationRecord.instance_id == instance_id,
                                                               ConsultationRecord.job_key == job_key))
    if existing is not None:
        return existing
    # Whoever completed the unit's latest task of this item wrote the record down.
    recorder = session.scalar(
        select(User.display_name).join(HumanTask, HumanTask.completed_by_id == User.id)
        .join(Unit, Unit.id == HumanTask.unit_id)
        .where(HumanTask.instance_id == instance_id, HumanTask.status == "completed",
               Unit.code == values["unit_code"])
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()).limit(1))
    record = ConsultationRecord(item_id=item_id, instance_id=instance_id, job_key=job_key, status="pending",
                                recorded_by=recorder or "", proposer_comment="", **values)
    session.add(record)
    session.flush()
    return record


def _day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"协商日期“{text}”无效：应为 年-月-日，如 2026-11-24") from None


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in {"false", "off", "0", "no", "否"}
