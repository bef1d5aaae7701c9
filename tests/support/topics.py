"""Service topics used only by the tests (loaded through SERVICE_TASK_MODULES)."""
from service_tasks import Parameter, topic

FAILURES = {"remaining": 0}


@topic("test_flaky", "测试：前几次失败", [Parameter("label", "标签")])
def flaky(ctx, label=""):
    """Fails while FAILURES['remaining'] > 0, then succeeds."""
    if FAILURES["remaining"] > 0:
        FAILURES["remaining"] -= 1
        raise RuntimeError("模拟的外部服务故障")
    return {"flaky_label": label}
