"""The `notify` topic by e-mail: a real SMTP conversation with a local server (aiosmtpd), one mail per
recipient however often the job runs, the outbox when no SMTP server is configured, and notices
whose text comes from an administrator's message template."""
import dataclasses
import shutil
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from tests.support import topics
from tests.support.bpmn import linear
from tests.support.helpers import audit, deploy, instance_data, open_tasks
from tests.support.smtp import SmtpServer, self_signed_certificate
from webapp.engine.errors import DeployError
from webapp.messaging import templates
from webapp.messaging.mail import MailError, Mailer, build_message, outbox_entries, read_outbox
from webapp.models import Incident, Job, Notification, User

CLERK1, CLERK2 = "clerk1@example.org", "clerk2@example.org"


@pytest.fixture(autouse=True)
def no_failures():
    topics.FAILURES["remaining"] = 0
    topics.CALLS.clear()
    yield
    topics.FAILURES["remaining"] = 0


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailing(engine, people, smtp):
    """The worker sends over the local SMTP server (no TLS); clerk1 and clerk2 have addresses."""
    use_settings(engine, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none")
    set_emails(engine, clerk1=CLERK1, clerk2=CLERK2)
    return smtp.handler


def use_settings(engine, **changes):
    engine.management.settings = dataclasses.replace(engine.management.settings, **changes)


def set_emails(engine, **emails):
    with engine.db.write() as s:
        for username, email in emails.items():
            s.execute(update(User).where(User.username == username).values(email=email))


def notify_task(*parameters: str, topic: str = "notify") -> str:
    return (f'<bpmn:serviceTask id="send" name="发通知" camunda:type="external" camunda:topic="{topic}">'
            '<bpmn:extensionElements><camunda:inputOutput>' + "".join(parameters) +
            '</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>')


def param(name: str, value: str) -> str:
    return f'<camunda:inputParameter name="{name}">{value}</camunda:inputParameter>'


def variables(**entries: str) -> str:
    return ('<camunda:inputParameter name="variables"><camunda:map>'
            + "".join(f'<camunda:entry key="{k}">{v}</camunda:entry>' for k, v in entries.items())
            + '</camunda:map></camunda:inputParameter>')


AFTER = '<bpmn:userTask id="after" name="后续" camunda:assignee="clerk1" />'


def plain_notice(topic="notify"):
    return linear("notice", notify_task(param("subject", "${'请办理：' + business_key}"),
                                        param("body", "请于本周内办理。"), param("group", "clerk"), topic=topic),
                  AFTER)


def start(engine, process=None, key="N-1", **data) -> int:
    deploy(engine, process or plain_notice())
    return engine.runtime.start("notice", key, data=data or None)


def job_of(engine, iid) -> Job:
    with engine.db.read() as s:
        return s.scalars(select(Job).where(Job.instance_id == iid)).one()


def notices(engine) -> list[tuple[int, str, str]]:
    with engine.db.read() as s:
        return sorted(s.execute(select(Notification.user_id, Notification.subject, Notification.body)).all())


def incidents(engine, iid) -> list[Incident]:
    with engine.db.read() as s:
        return list(s.scalars(select(Incident).where(Incident.instance_id == iid).order_by(Incident.id)))


# --- over SMTP -------------------------------------------------------------------------------------------

def test_each_recipient_gets_one_mail_and_the_notice(engine, people, mailing):
    iid = start(engine)
    assert engine.management.run_jobs() == 1
    assert sorted(r.to for r in mailing.received) == [CLERK1, CLERK2]
    mail = mailing.to(CLERK1)[0]
    assert mail.mail_from == "noreply@localhost"
    assert str(mail.message["Subject"]) == "请办理：N-1"
    assert mail.message["To"].addresses[0].display_name == "张经办"
    assert mail.message["Message-ID"].startswith(f"<notify-{job_of(engine, iid).id}-{people['clerk1'].id}@")
    assert mail.text.startswith("请于本周内办理。") and "此邮件由建议提案办理系统自动发送" in mail.text
    assert mailing.connections == 1  # one connection for the whole job
    assert [n[:2] for n in notices(engine)] == [(people["clerk1"].id, "请办理：N-1"), (people["clerk2"].id, "请办理：N-1")]
    job = job_of(engine, iid)
    assert (job.status, job.attempts) == ("done", 1)
    assert job.result == {"notified_count": 2, "mailed_count": 2, "mail_refused": []}
    assert set(open_tasks(engine, iid)) == {"after"}


def test_a_recipient_refused_once_gets_the_mail_on_the_retry_and_nobody_twice(engine, people, mailing):
    """The server refuses the 2nd recipient once (451): the job fails after mailing the 1st, is retried,
    and the retry mails only the 2nd. Every recipient ends with exactly one mail and one notice."""
    mailing.refuse[CLERK2] = ("451 4.3.0 Mailbox temporarily unavailable", 1)
    iid = start(engine)
    assert engine.management.run_jobs() == 2  # failed, then retried at once (backoff 0 in tests)
    assert mailing.refused == [CLERK2]
    assert [r.to for r in mailing.received] == [CLERK1, CLERK2]
    assert len(mailing.to(CLERK1)) == 1 and len(mailing.to(CLERK2)) == 1
    [failed] = audit(engine, iid, "job_failed")
    assert "邮件服务器暂不接收收件人 clerk2@example.org：451" in failed.detail["error"]
    job = job_of(engine, iid)
    assert (job.status, job.attempts) == ("done", 2)
    assert job.result["mailed_count"] == 2
    assert [n[:2] for n in notices(engine)] == [(people["clerk1"].id, "请办理：N-1"), (people["clerk2"].id, "请办理：N-1")]
    assert set(open_tasks(engine, iid)) == {"after"}


def test_a_mail_failing_every_retry_becomes_an_incident_and_its_retry_sends_only_what_is_missing(
        engine, people, mailing):
    mailing.refuse[CLERK2] = ("451 4.3.0 Try again later", 100)
    iid = start(engine)
    engine.management.run_jobs()
    [incident] = incidents(engine, iid)
    assert incident.status == "open" and "重试 3 次后仍失败" in incident.message
    assert "邮件服务器暂不接收收件人 clerk2@example.org" in incident.message
    assert len(mailing.to(CLERK1)) == 1 and mailing.to(CLERK2) == []  # three attempts, one mail to clerk1
    assert notices(engine) == []  # the notices come with the job's completion
    assert open_tasks(engine, iid) == {}

    mailing.refuse.clear()  # the server recovers; the administrator retries
    engine.management.retry_incident(incident.id, people["admin"])
    assert engine.management.run_jobs() == 1
    assert len(mailing.to(CLERK1)) == 1 and len(mailing.to(CLERK2)) == 1
    assert len(notices(engine)) == 2
    assert job_of(engine, iid).status == "done"
    assert set(open_tasks(engine, iid)) == {"after"}


def test_a_recipient_the_server_refuses_for_good_does_not_hold_up_the_process(engine, people, mailing):
    mailing.refuse[CLERK2] = ("550 5.1.1 No such user", 100)
    iid = start(engine)
    assert engine.management.run_jobs() == 1
    assert [r.to for r in mailing.received] == [CLERK1]
    assert job_of(engine, iid).result == {"notified_count": 2, "mailed_count": 1, "mail_refused": ["clerk2"]}
    assert len(notices(engine)) == 2  # the in-app notice still reaches clerk2
    assert instance_data(engine, iid)["mail_refused"] == ["clerk2"]
    assert set(open_tasks(engine, iid)) == {"after"}


def test_users_without_an_address_get_the_notice_only(engine, people, mailing):
    set_emails(engine, clerk1=None, clerk2="  ")
    iid = start(engine)
    engine.management.run_jobs()
    assert mailing.received == [] and mailing.connections == 0  # no mail, no connection
    assert len(notices(engine)) == 2
    assert job_of(engine, iid).result["mailed_count"] == 0


def test_an_invalid_address_is_reported_not_retried(engine, people, mailing):
    set_emails(engine, clerk2="不是邮箱")
    iid = start(engine)
    assert engine.management.run_jobs() == 1
    assert [r.to for r in mailing.received] == [CLERK1]
    assert job_of(engine, iid).result["mail_refused"] == ["clerk2"]


def test_no_server_listening_fails_the_job_with_a_chinese_reason(engine, people, smtp):
    set_emails(engine, clerk1=CLERK1)
    smtp.stop()
    use_settings(engine, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none", smtp_timeout=5)
    iid = start(engine)
    engine.management.run_jobs()
    [incident] = incidents(engine, iid)
    assert f"无法连接邮件服务器 127.0.0.1:{smtp.port}" in incident.message
    smtp.start = lambda: None  # the fixture's teardown stops it again: already stopped
    smtp.stop = lambda: None


def test_a_job_failing_after_its_mails_does_not_mail_again(engine, people, mailing):
    """`test_notify_flaky` runs notify, then fails twice: three runs, still one mail each."""
    iid = start(engine, plain_notice(topic="test_notify_flaky"))
    topics.FAILURES["remaining"] = 2
    assert engine.management.run_jobs() == 3
    assert sorted(r.to for r in mailing.received) == [CLERK1, CLERK2]
    assert len(notices(engine)) == 2
    assert set(open_tasks(engine, iid)) == {"after"}


# --- TLS and login ----------------------------------------------------------------------------------------

def _tls(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    import ssl
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


def _settings(settings, **changes):
    return dataclasses.replace(settings, smtp_host="127.0.0.1", mail_sender="办理系统 <notice@example.org>",
                               smtp_timeout=10, **changes)


def _message(to=CLERK1):
    return build_message("办理系统 <notice@example.org>", to, "张经办", "测试：加密连接", "正文")


def test_starttls_with_login(tmp_path):
    cert, context = _tls(tmp_path)
    server = SmtpServer(tls_context=context, require_starttls=True, authenticator=True).start()
    try:
        from webapp.config import Settings
        settings = _settings(Settings(), smtp_port=server.port, smtp_tls="starttls", smtp_ca_file=cert,
                             smtp_username="notifier", smtp_password="s3cret")
        with Mailer(settings) as mailer:
            assert mailer.send(_message()) == "smtp"
        assert server.handler.logins == ["notifier"]
        [mail] = server.handler.received
        assert str(mail.message["Subject"]) == "测试：加密连接" and mail.text == "正文\n"

        wrong = dataclasses.replace(settings, smtp_password="wrong")
        with pytest.raises(MailError, match="登录失败（用户名 notifier）：535"):
            with Mailer(wrong) as mailer:
                mailer.send(_message())
        untrusted = dataclasses.replace(settings, smtp_ca_file=None)  # self-signed: not trusted by default
        with pytest.raises(MailError, match="建立加密连接失败（SMTP_TLS=starttls）"):
            with Mailer(untrusted) as mailer:
                mailer.send(_message())
    finally:
        server.stop()


def test_implicit_tls(tmp_path):
    cert, context = _tls(tmp_path)
    server = SmtpServer(ssl_context=context).start()
    try:
        from webapp.config import Settings
        settings = _settings(Settings(), smtp_port=server.port, smtp_tls="ssl", smtp_ca_file=cert)
        with Mailer(settings) as mailer:
            mailer.send(_message())
            mailer.send(_message(CLERK2))
        assert [r.to for r in server.handler.received] == [CLERK1, CLERK2]
    finally:
        server.stop()


def test_starttls_required_but_not_offered(smtp):
    from webapp.config import Settings
    settings = _settings(Settings(), smtp_port=smtp.port, smtp_tls="starttls")
    with pytest.raises(MailError, match="不支持 STARTTLS"):
        with Mailer(settings) as mailer:
            mailer.send(_message())
    assert smtp.handler.received == []


def test_an_unknown_tls_mode_is_refused_at_start_up():
    from webapp.config import Settings
    with pytest.raises(ValueError, match="SMTP_TLS 应为 none / starttls / ssl"):
        Settings(smtp_tls="tls")
    assert Settings(smtp_tls="ssl").smtp_effective_port == 465
    assert Settings(smtp_tls="none", smtp_port=2525).smtp_effective_port == 2525


# --- the outbox (no SMTP server configured) ------------------------------------------------------------

def test_without_smtp_each_mail_goes_to_the_outbox_once(engine, settings, people):
    set_emails(engine, clerk1=CLERK1, clerk2=CLERK2)
    iid = start(engine, plain_notice(topic="test_notify_flaky"))
    topics.FAILURES["remaining"] = 2  # three runs of the job
    assert engine.management.run_jobs() == 3
    entries, total = outbox_entries(settings.outbox_dir)
    assert total == 2 and len(list(settings.outbox_dir.iterdir())) == 2  # no temporary files left
    assert sorted(e.to for e in entries) == ["张经办 <clerk1@example.org>", "李经办 <clerk2@example.org>"]
    assert {e.subject for e in entries} == {"请办理：N-1"}
    entry, text = read_outbox(settings.outbox_dir, entries[0].name)
    assert entry.sender == "建议提案办理系统 <noreply@localhost>"
    assert text.startswith("请于本周内办理。")
    raw = message_from_bytes((settings.outbox_dir / entries[0].name).read_bytes(), policy=policy.default)
    assert raw["Content-Type"].params["charset"] == "utf-8"
    assert job_of(engine, iid).result["mailed_count"] == 2


def test_outbox_names_are_checked(settings):
    settings.outbox_dir.mkdir(parents=True)
    (settings.outbox_dir.parent / "secret.eml").write_text("x")
    for name in ("../secret.eml", "..", "x.txt", "", "/etc/passwd", ".hidden.eml"):
        assert read_outbox(settings.outbox_dir, name) is None
    assert outbox_entries(settings.outbox_dir / "missing") == ([], 0)


# --- message templates -------------------------------------------------------------------------------------

def templated_notice(template="reminder", group="clerk", **entries):
    entries = entries or {"title": "${title}", "due": "${due}", "unit_name": "市交通运输局"}
    return linear("notice", notify_task(param("template", template), variables(**entries), param("group", group)),
                  AFTER)


def test_a_template_renders_subject_and_body_per_recipient(engine, people, mailing):
    iid = start(engine, templated_notice(), key="JY-2026-0007", title="关于增设公交线路的建议",
                due="2026-09-30T23:59:59+08:00")
    assert engine.management.run_jobs() == 1
    subject = "办理期限将至（2026年9月30日）：关于增设公交线路的建议"
    [(u1, s1, b1), (u2, s2, b2)] = notices(engine)
    assert (u1, s1, u2, s2) == (people["clerk1"].id, subject, people["clerk2"].id, subject)
    assert b1.startswith("张经办：\n\n市交通运输局承办的建议《关于增设公交线路的建议》（编号 JY-2026-0007）将于 2026年9月30日 到期")
    assert b2.startswith("李经办：")
    assert str(mailing.to(CLERK2)[0].message["Subject"]) == subject
    assert mailing.to(CLERK2)[0].text.startswith("李经办：")
    assert job_of(engine, iid).status == "done"


def test_a_template_an_administrator_changed_is_used_from_then_on(engine, people):
    templates.save_template(engine.db, "reminder", "到期提醒", "【提醒】{{ title }}（{{ business_key }}）",
                            "{{ recipient }}，请于 {{ due | cn_date }} 前答复。", by="系统管理员")
    start(engine, templated_notice(), title="关于增设公交线路的建议", due="2026-09-30")
    engine.management.run_jobs()
    assert notices(engine)[0][1:] == ("【提醒】关于增设公交线路的建议（N-1）", "张经办，请于 2026年9月30日 前答复。")


def test_a_link_to_the_item_with_app_url(engine, people):
    use_settings(engine, app_url="https://jytb.example.gov.cn")
    templates.save_template(engine.db, "reminder", "到期提醒", "{{ title }}", "{{ link }}", by="admin")
    iid = start(engine, templated_notice(), title="T", due="2026-09-30")
    engine.management.run_jobs()
    assert notices(engine)[0][2] == f"https://jytb.example.gov.cn/instances/{iid}"


def test_a_missing_template_becomes_an_incident(engine, people):
    iid = start(engine, templated_notice(template="no_such_template"), title="T", due="2026-09-30")
    engine.management.run_jobs()
    [incident] = incidents(engine, iid)
    assert "通知模板“no_such_template”不存在" in incident.message


def test_existing_diagrams_with_subject_and_body_still_deploy_and_run(engine, people):
    iid = start(engine)
    engine.management.run_jobs()
    assert job_of(engine, iid).status == "done"


@pytest.mark.parametrize("parameters, message", [
    ((param("group", "clerk"),), "服务主题“notify”需要参数“subject”（标题）或“template”（通知模板）"),
    ((param("subject", "x"), variables(title="${title}"), param("group", "clerk")),
     "参数“variables”只用于通知模板：请同时设置“template”"),
    ((param("template", "Reminder!"), param("group", "clerk")), "通知模板名称“Reminder!”无效"),
])
def test_deploy_refuses_a_notify_task_without_text(engine, parameters, message):
    with pytest.raises(DeployError, match=message):
        deploy(engine, linear("notice", notify_task(*parameters), AFTER))


# --- addresses ------------------------------------------------------------------------------------------------

def test_create_user_with_an_address(settings, engine):
    from webapp import create_app
    app = create_app(settings, engine)
    runner = app.test_cli_runner()
    with app.app_context():  # as the flask command line has for every command
        result = runner.invoke(args=["create-user", "jtj_liaison", "--name", "钱联络", "--password", "pw",
                                     "--email", "qian@jtj.example.gov.cn"])
        assert result.exit_code == 0, result.output
        refused = runner.invoke(args=["create-user", "x", "--name", "x", "--password", "pw", "--email", "不是邮箱"])
        assert refused.exit_code != 0 and "电子邮箱“不是邮箱”格式不正确" in refused.output
    with engine.db.read() as s:
        assert s.scalar(select(User.email).where(User.username == "jtj_liaison")) == "qian@jtj.example.gov.cn"
