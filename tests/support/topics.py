"""Service topics used only by the tests (loaded through SERVICE_TASK_MODULES)."""
import os
import time

from service_tasks import Parameter, topic
from service_tasks.notifications import notify

FAILURES = {"remaining": 0}
# How often each topic function actually ran, to tell a retry from a single run.
CALLS: dict[str, int] = {}


def _count(name):
    CALLS[name] = CALLS.get(name, 0) + 1


@topic("test_flaky", "测试：前几次失败", [Parameter("label", "标签")])
def flaky(ctx, label=""):
    """Fails while FAILURES['remaining'] > 0, then succeeds."""
    _count("test_flaky")
    if FAILURES["remaining"] > 0:
        FAILURES["remaining"] -= 1
        raise RuntimeError("模拟的外部服务故障")
    return {"flaky_label": label}


@topic("test_echo", "测试：原样返回参数", [
    Parameter("text", "文本", required=True),
    Parameter("number", "数字"),
    Parameter("items", "列表"),
    Parameter("mapping", "映射"),
])
def echo(ctx, text, number=None, items=None, mapping=None):
    """Returns its parameters, plus a few derived values for output mappings."""
    _count("test_echo")
    return {"text": text, "number": number, "items": items, "mapping": mapping,
            "count": len(items or []), "business_key_seen": ctx.business_key}


@topic("test_notify_flaky", "测试：先发通知再失败", [
    Parameter("subject", "标题", required=True),
    Parameter("body", "正文"),
    Parameter("users", "接收人"),
    Parameter("group", "接收角色"),
])
def notify_flaky(ctx, subject, body="", users=None, group=None):
    """Runs `notify` (notices queued, mails sent), then fails while FAILURES['remaining'] > 0."""
    _count("test_notify_flaky")
    result = notify(ctx, subject=subject, body=body, users=users, group=group)
    if FAILURES["remaining"] > 0:
        FAILURES["remaining"] -= 1
        raise RuntimeError("通知之后的步骤失败")
    return result


@topic("test_slow", "测试：慢任务", [Parameter("seconds", "耗时（秒）")])
def slow(ctx, seconds="0.3"):
    """Sleeps, so a worker can be killed while it runs (see test_worker_kill.py)."""
    time.sleep(float(seconds))
    return {"slow_done_by": os.getpid()}


@topic("test_store_file", "测试：保存文件后失败", [Parameter("name", "文件名")])
def store_file_flaky(ctx, name="附件.txt"):
    """Stores a file of the instance, then fails while FAILURES['remaining'] > 0."""
    _count("test_store_file")
    stored = ctx.store_file(name, "文件内容".encode(), "text/plain")
    if FAILURES["remaining"] > 0:
        FAILURES["remaining"] -= 1
        raise RuntimeError("保存文件之后的步骤失败")
    return {"stored": stored}
