"""Notices to the people a diagram names by user, role and unit: in the app and by e-mail."""
import json
import logging

from service_tasks import Parameter, topic
from webapp.config import Settings
from webapp.engine.expressions import is_wrapped
from webapp.messaging import templates
from webapp.messaging.mail import SIGNATURE, MailRefused, Mailer, build_message, sender_domain, valid_address

log = logging.getLogger(__name__)


def _check(parameters: dict[str, str]) -> list[str]:
    problems = []
    if "subject" not in parameters and "template" not in parameters:
        problems.append("服务主题“notify”需要参数“subject”（标题）或“template”（通知模板）")
    name = parameters.get("template")
    if name is not None and not is_wrapped(name) and not templates.NAME_PATTERN.match(name.strip()):
        problems.append(f"通知模板名称“{name}”无效：应为小写字母、数字和下划线，如 reminder")
    if "variables" in parameters and "template" not in parameters:
        problems.append("参数“variables”只用于通知模板：请同时设置“template”")
    return problems


@topic("notify", "发送通知（站内通知和邮件）", [
    Parameter("subject", "标题（使用通知模板时不填）"),
    Parameter("body", "正文"),
    Parameter("users", "接收人（用户名，逗号分隔）"),
    Parameter("group", "接收角色（如 office、unit_head，可逗号分隔多个）"),
    Parameter("unit", "角色所在单位（单位代码，可逗号分隔多个或为列表）"),
    Parameter("template", "通知模板（模板代码，如 reminder；见“通知模板”页面）"),
    Parameter("variables", "模板变量（camunda:map，如 title、due、unit_name）"),
], check=_check)
def notify(ctx, subject=None, body="", users=None, group=None, unit=None, template=None, variables=None):
    """Sends an in-app notice to the named users and to everyone holding the role (in the unit), and an
    e-mail to each of them who has an address.

    The text is either `subject` and `body`, or the message template named by `template` (edited by
    administrators under 通知模板), rendered for each recipient with the `variables` map plus
    `recipient` (the recipient's name), `business_key` and `link` (the item's page, with APP_URL set):

        <camunda:inputParameter name="template">reminder</camunda:inputParameter>
        <camunda:inputParameter name="variables">
          <camunda:map>
            <camunda:entry key="title">${title}</camunda:entry>
            <camunda:entry key="due">${due}</camunda:entry>
          </camunda:map>
        </camunda:inputParameter>

    Mails go out over SMTP (or into the outbox without SMTP_HOST), at most once per recipient and job:
    when the second mail fails, the retried job does not send the first again. A recipient the mail
    server refuses for good is reported in `mail_refused` and does not hold the process up; any other
    mail failure makes the job fail and be retried, and in the end become an incident. Returns
    `notified_count`, `mailed_count` and `mail_refused` (usernames).
    """
    recipients = ctx.resolve_users(users=users, group=group, unit=unit)
    if not recipients:
        raise ValueError(f"通知没有接收人（users={users!r}, group={group!r}, unit={unit!r}）")
    compose = _composer(ctx, subject, body, template, variables)
    people = ctx.users(recipients)
    settings = ctx.settings or Settings()
    mailed, refused = 0, []
    with Mailer(settings) as mailer:
        for person in people:
            text = compose(person)
            # Notices are rows written in the same transaction that completes the job: a retry cannot double them.
            ctx.add_notification(person.id, text.subject, text.body)
            address = (person.email or "").strip()
            if not address:
                continue
            if not valid_address(address):
                log.warning("notify: the e-mail address of %s is not valid (%r)", person.username, address)
                refused.append(person.username)
                continue
            key = f"mail:{person.id}"
            if not ctx.once(key):  # mailed by an earlier run of this job
                mailed += 1
                continue
            message = build_message(settings.mail_sender, address, person.display_name, text.subject,
                                    _mail_body(text.body, _link(ctx)),
                                    message_id=f"<notify-{ctx.job_id}-{person.id}@{sender_domain(settings.mail_sender)}>")
            try:
                mailer.send(message)
            except MailRefused as e:
                log.warning("notify: %s", e)
                refused.append(person.username)
                continue
            ctx.done(key)
            mailed += 1
    return {"notified_count": len(people), "mailed_count": mailed, "mail_refused": refused}


def _composer(ctx, subject, body, template, variables):
    """A function person -> the notice's text for that person."""
    if not template:
        if not subject:
            raise ValueError("通知缺少标题：请设置参数 subject，或用 template 指定通知模板")
        fixed = templates.Rendered(subject=" ".join(str(subject).split())[:templates.SUBJECT_MAX],
                                   body=str(body or ""))
        return lambda _person: fixed
    row = templates.get_template(ctx.db, str(template).strip())
    if row is None:
        raise ValueError(f"通知模板“{template}”不存在（请在“通知模板”页面添加，或修改流程图）")
    values = _variables(variables)
    base = {**values, "business_key": ctx.business_key, "link": _link(ctx) or values.get("link", "")}
    return lambda person: templates.render(row.subject, row.body, {**base, "recipient": person.display_name})


def _variables(value) -> dict:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError("参数 variables 应为键值映射（camunda:map）或 JSON 对象") from None
    if not isinstance(value, dict):
        raise ValueError(f"参数 variables 应为键值映射（camunda:map），实际为 {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _link(ctx) -> str:
    app_url = getattr(ctx.settings, "app_url", "")
    return f"{app_url}/instances/{ctx.instance_id}" if app_url and ctx.instance_id else ""


def _mail_body(body: str, link: str) -> str:
    parts = [body.rstrip()] if body.strip() else []
    if link and link not in body:
        parts.append(f"查看事项：{link}")
    parts.append(f"——\n{SIGNATURE}")
    return "\n\n".join(parts)
