"""In-app notices to the people a diagram names by user, role and unit."""
from service_tasks import Parameter, topic


@topic("notify", "发送站内通知", [
    Parameter("subject", "标题", required=True),
    Parameter("body", "正文"),
    Parameter("users", "接收人（用户名，逗号分隔）"),
    Parameter("group", "接收角色（如 office、unit_head，可逗号分隔多个）"),
    Parameter("unit", "角色所在单位（单位代码，可逗号分隔多个或为列表）"),
])
def notify(ctx, subject, body="", users=None, group=None, unit=None):
    """Sends an in-app notice to the named users and to everyone holding the role (in the unit)."""
    recipients = ctx.resolve_users(users=users, group=group, unit=unit)
    if not recipients:
        raise ValueError(f"通知没有接收人（users={users!r}, group={group!r}, unit={unit!r}）")
    # Notices are rows written in the same transaction that completes the job: a retry cannot double them.
    for user_id in recipients:
        ctx.add_notification(user_id, subject, body)
    return {"notified_count": len(recipients)}
