"""The 事项信息 card of an item's page: the item's registration record in readable Chinese, its units with
their roles and deadlines, and for deputies and members a progress line (登记 → … → 办结).

Everything comes from what the page reads anyway: the item row (one query), the workflow the page
deserializes once for its raw variables (units, roles, deadlines) and the history it lists (the
progress line). The contact details are personal data: shown to the office, the reviewing bodies,
administrators, the lead proposer and the units the item was given (webapp/web/access.py).
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ..items.numbering import display_number, item_label
from ..items.queries import item_for_instance
from ..items.vocabulary import ITEM_TYPES, KEY_SOURCES, PROPOSER_ROLE, PROPOSER_TYPES, SOURCES, TIMINGS
from ..models import Unit
from ..reports.ledger import INTAKE_LABELS, item_units
from .access import holds_role, may_see_contact


@dataclass
class Stage:
    label: str
    state: str = "todo"            # done | current | todo | stopped (an intake decision that ends the item)
    at: datetime | None = None


@dataclass
class ItemCard:
    item: object
    label: str                     # 人大建议 十七届五次 第0123号
    facts: list[tuple[str, str]]   # (label, text) in reading order
    co_signers: list[str]
    units: list = field(default_factory=list)   # LedgerRow of each assigned unit
    show_contact: bool = False
    progress: list[Stage] | None = None         # for deputies and members


class LazyUnitNames:
    """Unit names by code, read in one query the first time a unit is named (as dict.get)."""

    def __init__(self, session):
        self.session, self._names = session, None

    def get(self, code, default=None):
        if self._names is None:
            self._names = dict(self.session.execute(select(Unit.code, Unit.name)).all())
        return self._names.get(code, default)


def load_item(session, instance):
    """The item behind the main process's instance, or None (another process, or a diagram test run)."""
    from ..items import ITEM_PROCESS
    return item_for_instance(session, instance.id) if instance.process_key == ITEM_PROCESS else None


def variables_and_units(session, runtime, instance, item, today: date) -> tuple[dict | None, list]:
    """The instance's variables (for the raw view) and, for an item, its units' rows: one deserialization.
    (None, []) when the state cannot be read: the page must render all the same."""
    try:
        if item is None:
            return runtime.variables(session, instance.id), []
        workflow = runtime.load(session, instance.id, lock=False, must_run=False).workflow
        return item_units(workflow, LazyUnitNames(session), instance.status, today)
    except Exception:  # noqa: BLE001 - the page must render even if the state cannot be read
        return None, []


def build_card(session, user, instance, item, units: list, events: list, variables: dict | None) -> ItemCard:
    yes_no = {True: "是", False: "否"}
    facts = [
        ("类型", ITEM_TYPES.get(item.item_type, item.item_type)),
        ("届次", item.session),
        ("提出时间", TIMINGS.get(item.timing, item.timing)),
        ("编号", display_number(item.item_no)),
        ("类别", item.category + (f" / {item.subcategory}" if item.subcategory else "")),
        ("提出方式", PROPOSER_TYPES.get(item.proposer_type, item.proposer_type)),
        ("领衔人", item.proposer_name),
        ("来源渠道", SOURCES.get(item.source, item.source)),
        ("收件日期", item.received_on.isoformat() if item.received_on else "—"),
        ("重点督办", KEY_SOURCES.get(item.key_source, item.key_source) if item.is_key else "否"),
    ]
    if item.is_key and item.key_leader:
        facts.append(("领办领导", item.key_leader))
    facts += [("同意公开", yes_no[bool(item.publication_consent)]),
              ("要求面商", yes_no[bool(item.proposer_requested_face_to_face)])]
    card = ItemCard(item=item, label=item_label(item.item_type, item.session, item.item_no), facts=facts,
                    co_signers=list(item.co_signer_names or []), units=units,
                    show_contact=may_see_contact(session, user, item))
    if holds_role(user, PROPOSER_ROLE):
        card.progress = progress(instance, events, variables or {})
    return card


# --- the progress line ------------------------------------------------------------------------------------

# Each stage is reached by the first history row of one of these kinds (action, element id).
STAGES = [
    ("登记", {("instance_started", None)}),
    ("立案", {("task_completed", "intake_review")}),
    ("交办", {("task_completed", "assign_units")}),
    ("办理", {("task_created", "dispatch")}),           # a unit's handling began after 签收核对
    ("答复", {("task_completed", "deliver_reply")}),    # a unit's reply reached the proposer
    ("测评", {("task_completed", "evaluate_reply")}),   # the proposer's satisfaction recorded
    ("办结", {("instance_completed", None)}),
]


def progress(instance, events: list, variables: dict) -> list[Stage]:
    """Where the item is, from its history: the stages reached (with the day), the one under way."""
    reached: dict[str, datetime] = {}
    for event in events:  # oldest first
        for label, kinds in STAGES:
            if label not in reached and ((event.action, event.element_id) in kinds
                                         or (event.action, None) in kinds):
                reached[label] = event.at
    decision = variables.get("intake_decision")
    if "立案" in reached and decision and decision != "register":
        # not registered, merged or turned into an opinion: the item ends at intake
        return [Stage("登记", "done", reached.get("登记")),
                Stage(INTAKE_LABELS.get(decision, decision), "stopped", reached["立案"])]
    stages, current_set = [], False
    for label, _kinds in STAGES:
        if label in reached:
            stages.append(Stage(label, "done", reached[label]))
        elif not current_set and instance.status in ("running", "suspended"):
            stages.append(Stage(label, "current"))
            current_set = True
        else:
            stages.append(Stage(label))
    return stages
