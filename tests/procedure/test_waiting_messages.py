"""Runtime.waiting_messages over the product's diagrams: which units an extension request or an urge
can reach at each stage of an item (the item page offers its supervision forms from this)."""
from datetime import datetime

import time_machine

from tests.procedure.driver import accept, dispatch, register
from webapp.clock import OFFICE_TZ

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=OFFICE_TZ)


def waiting(proc) -> dict[str, list]:
    with proc.engine.db.read() as s:
        return {name: sorted(units) for name, units in proc.engine.runtime.waiting_messages(s, proc.instance_id).items()}


def test_units_wait_while_they_handle_the_item(proc):
    with time_machine.travel(T0, tick=False):
        proc.start()
        assert waiting(proc) == {}
        register(proc, mode="split", lead=None, split=("jtj", "jyj"))
        accept(proc, "jtj", "jyj")
        assert waiting(proc) == {}  # checked, not yet dispatched inside the units: handling has not begun
        dispatch(proc, "jtj")
        assert waiting(proc) == {"extension_requested": ["jtj"], "urge": ["jtj"]}
        dispatch(proc, "jyj")
        assert waiting(proc) == {"extension_requested": ["jtj", "jyj"], "urge": ["jtj", "jyj"]}
        proc.message("urge", {"urge_message": "请加快办理进度", "urge_method": "online"}, unit="jtj")
        assert ("answer_urge", "jtj") in proc.open_summary()
        assert waiting(proc)["urge"] == ["jtj", "jyj"]  # each urge is answered; the unit can be urged again


def test_an_ended_item_waits_for_nothing(proc):
    with time_machine.travel(T0, tick=False):
        proc.start()
        proc.do("intake_review", "office", intake_decision="reject", category="交通运输", intake_reason="不属于本级政府职权")
        assert proc.status() == "completed"
        assert waiting(proc) == {}
