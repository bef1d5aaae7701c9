"""History service: the audit trail of every instance (who did what, when, with which data)."""
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, utcnow

ACTION_LABELS = {
    "instance_started": "启动流程",
    "task_created": "生成待办",
    "task_claimed": "认领任务",
    "task_unclaimed": "退回待认领",
    "task_completed": "办理完成",
    "task_cancelled": "任务取消",
    "step": "自动执行",
    "timer_fired": "定时器触发",
    "message": "发起",
    "job_done": "服务任务完成",
    "job_failed": "服务任务失败",
    "incident": "产生故障",
    "incident_retried": "故障重试",
    "incident_skipped": "故障跳过",
    "instance_completed": "流程结束",
    "deadlines_refreshed": "期限重新计算",
    "instance_migrated": "迁移到新版本",
    "instance_suspended": "挂起",
    "instance_resumed": "恢复办理",
    "instance_cancelled": "撤销",
    "returned_to_step": "退回到环节",
    "variable_corrected": "更正数据",
    "item_updated": "更新事项登记信息",
}


_INSERT_AUDIT = insert(AuditEvent.__table__)  # Core, not the ORM's bulk path: this runs on every step


def record(session, instance_id, action, actor=None, element_id=None, element_name=None, detail=None):
    """Queue an audit record; it is written with the transaction's commit (one batched insert)."""
    session.info.setdefault("audit", []).append(dict(
        instance_id=instance_id, action=action, at=utcnow(), actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "display_name", None) or "系统",
        element_id=element_id, element_name=element_name, detail=detail))


@event.listens_for(Session, "before_commit")
def _write_queued(session):
    rows = session.info.pop("audit", None)
    if rows:
        session.connection().execute(_INSERT_AUDIT, rows)


@event.listens_for(Session, "after_rollback")
def _drop_queued(session):
    session.info.pop("audit", None)


def for_instance(session, instance_id) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.at, AuditEvent.id)))
