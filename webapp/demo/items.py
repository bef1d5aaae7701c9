"""~200 fictional suggestions and proposals, registered with `register_item` and driven through the
deployed procedure to a spread of stages, so that every page has something to show.

`STAGES` lists where the items stop and how many stop there (for 200 items); `plan_items` draws each
item's particulars (type, category, proposer, dates…) with a fixed random seed, and `ItemRun` drives
one item as the people of the demo city would (webapp/demo/flow.py). Two sessions: 十七届五次 (this
year's, most items) and 十七届四次 (last year's, done or in follow-up).

Dates are counted back from today: the current session met on the latest 12 January at least five
months ago, the previous one a year before; items still in handling were assigned within the last
three months (a few longer ago: overdue) and replies delivered before their due date. See
webapp/demo/flow.py for how the dates the diagrams compute from `today()` are set back.
"""
import functools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from ..clock import CalendarError
from ..engine.expressions import end_of_day, period
from ..items import business_key, register_item
from ..items.consultations import answer
from ..models import ConsultationRecord
from . import texts
from .flow import DemoError, Flow, scan_pdf
from .people import (COUNTIES, DEPUTY_USERNAMES, MEMBER_USERNAMES, UNIT_NAMES, people)

SEED = 1705  # the same items on every run (counted from the day of the run)
CURRENT_SESSION, PREVIOUS_SESSION = "十七届五次", "十七届四次"


@dataclass(frozen=True)
class Stage:
    name: str
    label: str                     # what the progress output and README call it
    count: int                     # items stopping here, of the default 200
    open_any: tuple[str, ...] = ()  # one of these tasks is open there (none at all when empty)
    status: str = "running"        # the item's instance status there


STAGES = [
    Stage("intake", "待立案审查（分类甄选／快速审查）", 12, ("intake_review",)),
    Stage("not_registered", "不予立案", 3, status="completed"),
    Stage("merged", "并案办理", 2, status="completed"),
    Stage("to_opinion", "转为意见建议", 2, status="completed"),
    Stage("assignment", "待交办", 10, ("assign_units",)),
    Stage("objection_window", "签收核对（异议期内）", 13, ("check_remit",)),
    Stage("objected", "单位提出异议，待重新交办", 3, ("assign_units",)),
    Stage("reassigned", "重新交办后已签收", 3, ("dispatch",)),
    Stage("accepted_by_timer", "异议期满视为签收", 4, ("dispatch",)),
    Stage("dispatch", "待内部交办（五定）", 11, ("dispatch",)),
    Stage("consulting", "办前协商", 16, ("consult_before",)),
    Stage("overdue", "超期未答复", 5, ("consult_before", "handle_item", "draft_reply")),
    Stage("due_soon", "即将到期", 3, ("handle_item", "draft_reply")),
    Stage("four_ones", "重点事项“四个一”", 5, ("draft_work_plan", "approve_work_plan", "joint_investigation",
                                              "face_to_face_meeting", "situation_report")),
    Stage("face_to_face", "面商（四个面商）", 4, ("record_face_to_face", "explain_no_face_to_face",
                                             "approve_no_face_to_face")),
    Stage("handling", "调查研究与办理（办中协商）", 14, ("handle_item",)),
    Stage("co_units", "协办单位提出协办意见", 4, ("co_dispatch", "write_co_opinion", "sign_co_opinion")),
    Stage("extension", "延期申请待审批", 3, ("approve_extension",)),
    Stage("urge", "督办待答复", 3, ("answer_urge",)),
    Stage("drafting", "起草答复", 10, ("draft_reply",)),
    Stage("leader_review", "分管领导审核", 6, ("leader_review",)),
    Stage("head_sign", "主要领导签发", 5, ("head_sign",)),
    Stage("vice_mayor_review", "市政府分管领导审核", 3, ("vice_mayor_review",)),
    Stage("office_review", "市政府办公室审核", 5, ("office_review",)),
    Stage("reviewer_review", "代表工委／提案委审核", 6, ("reviewer_review",)),
    Stage("redo", "审核退回重新办理", 4, ("draft_reply",)),
    Stage("deliver", "签章送达答复函", 4, ("deliver_reply",)),
    Stage("evaluation", "已答复，待满意度测评", 6, ("evaluate_reply",)),
    Stage("rehandling", "不满意，重新办理", 3, ("analyse_dissatisfaction", "consult_before")),
    Stage("publication", "复文公开", 3, ("publish_reply",)),
    Stage("post_review", "办后复查", 3, ("post_reply_review",)),
    Stage("follow_up", "B类续办（等待跟踪时间）", 3),
    Stage("follow_up_due", "B类续办跟踪（已到期）", 3, ("follow_up",)),
    Stage("recheck", "C类等待年度复查", 3),
    Stage("recheck_due", "C类年度复查", 2, ("recheck_conditions",)),
    Stage("completed", "已办结", 6, status="completed"),
    Stage("previous", "上届次已办结", 5, status="completed"),
]
STAGE_BY_NAME = {s.name: s for s in STAGES}
DEFAULT_ITEMS = sum(s.count for s in STAGES)

# Days since the assignment for items still in handling (3 months to reply: about 91 days).
HANDLING_AGE = {"objection_window": (0, 4), "objected": (1, 5), "reassigned": (8, 14), "accepted_by_timer": (13, 20),
                "dispatch": (2, 9), "consulting": (6, 30), "overdue": (96, 118), "due_soon": (87, 89),
                "four_ones": (15, 50), "face_to_face": (25, 55), "handling": (15, 55), "co_units": (12, 26),
                "extension": (55, 75), "urge": (60, 80), "drafting": (35, 65), "leader_review": (45, 70),
                "head_sign": (50, 72), "vice_mayor_review": (50, 75), "office_review": (55, 78),
                "reviewer_review": (58, 80), "redo": (60, 82), "deliver": (62, 84)}
# Days since the reply was delivered, for replied items of this year's recess.
DELIVERED_AGO = {"evaluation": (2, 20), "rehandling": (8, 25), "publication": (1, 9), "post_review": (4, 25)}
# Stages whose items came at the session (大会期间), of this session or the previous one.
AT_SESSION = {"follow_up", "follow_up_due", "recheck", "recheck_due", "completed", "previous"}

# As dmn/unit_suggestion.dmn suggests (for the proposer's text and the key items' leader; the office's
# choice in the task form comes from the deployed decision table itself).
CATEGORY_UNITS = {"经济发展": ["fgw", "gxj", "swj"], "城乡建设": ["zjj", "zrzyj", "cgj"], "交通运输": ["jtj", "zjj"],
                  "教育科技": ["jyj", "kjj"], "医疗卫生": ["wjw", "ybj"], "社会保障": ["rsj", "mzj", "ybj"],
                  "农业农村": ["nyncj", "slj", "lyj"], "生态环境": ["sthjj", "slj", "lyj"], "文化旅游": ["wlj", "tyj"],
                  "公共安全": ["gaj", "yjj", "scjgj"], "政务服务": ["zwfw", "sjj"], "其他": []}
DOC_PREFIXES = {"fgw": "发改函", "jyj": "教函", "kjj": "科函", "gxj": "工信函", "gaj": "公函", "mzj": "民函", "czj": "财函",
                "rsj": "人社函", "zrzyj": "自然资源函", "sthjj": "环函", "zjj": "建函", "jtj": "交函", "slj": "水函",
                "nyncj": "农函", "swj": "商函", "wlj": "文旅函", "wjw": "卫健函", "yjj": "应急函", "scjgj": "市监函",
                "ybj": "医保函", "cgj": "城管函", "lyj": "林草函", "tyj": "体函", "sjj": "数据函", "zwfw": "政务函",
                "hdq": "河东政函", "hxq": "河西政函", "qsx": "青政函", "lyx": "柳政函"}
# The README's logins get work in their inboxes: these stages' first items are transport (jtj) or
# education (jyj) items, led by `deputy` or `member`.
PINNED = {("dispatch", 0): ("交通运输", "deputy"), ("consulting", 0): ("交通运输", "deputy"),
          ("consulting", 1): ("教育科技", "deputy"), ("handling", 0): ("交通运输", "member"),
          ("drafting", 0): ("交通运输", "deputy"), ("drafting", 1): ("教育科技", "member"),
          ("leader_review", 0): ("交通运输", "deputy"), ("head_sign", 0): ("交通运输", "member"),
          ("deliver", 0): ("交通运输", "deputy"), ("evaluation", 0): ("交通运输", "deputy"),
          ("evaluation", 1): ("教育科技", "member"), ("objection_window", 0): ("交通运输", "deputy"),
          ("reviewer_review", 0): ("交通运输", "deputy"), ("reviewer_review", 1): ("教育科技", "member"),
          ("completed", 0): ("交通运输", "deputy"), ("intake", 0): ("交通运输", "deputy"),
          ("vice_mayor_review", 0): ("交通运输", "deputy"), ("redo", 0): ("交通运输", "member")}


@dataclass
class Plan:
    stage: str
    index: int                 # among the items of its stage (variants alternate by it)
    item_type: str
    session: str
    timing: str
    category: str
    topic: str
    proposer: str | None
    proposer_name: str
    proposer_type: str
    co_signers: list[str]
    co_signer_names: list[str]
    key_source: str
    face_to_face_requested: bool
    received_on: date
    assigned_on: date | None = None
    delivered_on: date | None = None
    mode: str = "single"       # single | lead_co | split
    units: list[str] = field(default_factory=list)  # lead first (single, lead_co) or the split units
    co_units: list[str] = field(default_factory=list)
    result_class: str = "A"
    publication: str = "public"
    vice_mayor: bool = False
    item_no: int = 0


def stage_counts(total: int) -> dict[str, int]:
    """How many items stop at each stage for `total` items (the default mix scaled, at least one each
    once there are as many items as stages)."""
    if total >= DEFAULT_ITEMS:
        extra = total - DEFAULT_ITEMS  # more than the default: the extra ones are done
        return {s.name: s.count + (extra if s.name == "completed" else 0) for s in STAGES}
    floor = 1 if total >= len(STAGES) else 0
    counts = {s.name: max(floor, int(s.count * total / DEFAULT_ITEMS)) for s in STAGES}
    by_share = sorted(STAGES, key=lambda s: -(s.count * total / DEFAULT_ITEMS % 1))
    while sum(counts.values()) < total:
        for s in by_share:
            if sum(counts.values()) >= total:
                break
            counts[s.name] += 1
    while sum(counts.values()) > total:
        largest = max(counts, key=counts.get)
        counts[largest] -= 1
    return counts


class Calendar:
    """Today and the sessions' days, with working days from the engine's calendar."""

    def __init__(self, engine):
        self.today = engine.clock.today()
        self._calendar = engine.clock.calendar()
        session = date(self.today.year, 1, 12)
        if (self.today - session).days < 150:
            session = date(self.today.year - 1, 1, 12)
        self.current_session = self.workday(session)
        self.previous_session = self.workday(date(session.year - 1, 1, 12))

    def workday(self, day: date) -> date:
        """The day itself if it is a working day, else the working day before."""
        for _ in range(30):
            try:
                if self._calendar.is_workday(day):
                    return day
            except CalendarError:  # a year the calendar cannot count: take the day as it is
                return day
            day -= timedelta(days=1)
        return day

    def ago(self, days: int) -> date:
        return self.workday(self.today - timedelta(days=days))


def plan_items(total: int, cal: Calendar) -> list[Plan]:
    """Every item's particulars, in the order they are registered (received first, first)."""
    rng = random.Random(SEED)
    # each topic once per session and kind (deputies and members may well raise the same one)
    topics = {(session, kind): {c: rng.sample(t, len(t)) for c, t in texts.TOPICS.items()}
              for session in (CURRENT_SESSION, PREVIOUS_SESSION) for kind in ("suggestion", "proposal")}
    counts = stage_counts(total)
    slots = [(stage.name, index) for stage in STAGES for index in range(counts[stage.name])]
    # the pinned ones first: their category is fixed, so they must find its topics unused
    slots.sort(key=lambda slot: slot not in PINNED)
    plans = [_plan(stage, index, rng, cal, topics) for stage, index in slots]
    plans.sort(key=lambda p: (p.received_on, p.session != PREVIOUS_SESSION))
    numbers: dict[tuple[str, str], int] = {}
    for plan in plans:  # numbers in order of receipt, with gaps (the other items of the session)
        key = (plan.item_type if plan.item_type == "proposal" else "suggestion", plan.session)
        numbers[key] = numbers.get(key, 0) + rng.randint(1, 6)
        plan.item_no = numbers[key]
    return plans


def _plan(stage: str, index: int, rng: random.Random, cal: Calendar, topics) -> Plan:
    pinned_category, pinned_proposer = PINNED.get((stage, index), (None, None))
    if pinned_proposer:
        item_type = "proposal" if pinned_proposer == "member" else "suggestion"
    elif stage in ("reviewer_review", "evaluation") and index % 2:
        item_type = "proposal"  # both reviewing bodies and both kinds of proposer have work
    else:
        item_type = rng.choices(["suggestion", "proposal", "motion_to_suggestion"], [56, 40, 4])[0]
    session = PREVIOUS_SESSION if stage in ("previous", "recheck_due") or (stage == "follow_up_due" and index % 2) \
        else CURRENT_SESSION
    category = pinned_category or _category(stage, rng)
    unused = topics[(session, "proposal" if item_type == "proposal" else "suggestion")]
    if not unused[category]:  # every topic of the category taken: another category
        left = [c for c, pool in unused.items() if pool and not (stage == "co_units" and c == "其他")]
        category = max(left, key=lambda c: len(unused[c])) if left else category
    pool = unused[category]
    topic = pool.pop() if pool else rng.choice(texts.TOPICS[category])  # beyond 168 items a session
    # who proposes
    deputies = item_type != "proposal"
    if pinned_proposer:
        kind, proposer = "individual", pinned_proposer
    else:
        kind = rng.choices(["individual", "joint", "collective"], [62, 26, 12])[0]
        proposer = None if kind == "collective" else rng.choice(DEPUTY_USERNAMES if deputies else MEMBER_USERNAMES)
    proposer_name = _names()[proposer] if proposer else rng.choice(
        texts.COLLECTIVE_SUGGESTIONS if deputies else texts.COLLECTIVE_PROPOSALS)
    co_signers, co_names = [], []
    if kind == "joint":
        pool_users = [u for u in (DEPUTY_USERNAMES if deputies else MEMBER_USERNAMES) if u != proposer]
        co_signers = rng.sample(pool_users, rng.randint(1, 2))
        if rng.random() < 0.4:
            co_names = [rng.choice(texts.OUTSIDE_NAMES)]
    # key items: the 四个一, the vice-mayor's review and a few that are done
    key_source = "none"
    if stage == "four_ones" or (stage == "vice_mayor_review" and index % 2 == 0) or \
            (stage in ("completed", "previous") and index == 1):
        key_source = "unit" if stage == "four_ones" and index % 3 == 2 else "npc_cppcc"
    requested = index % 2 == 0 if stage == "face_to_face" else rng.random() < 0.08
    plan = Plan(stage=stage, index=index, item_type=item_type, session=session, timing="recess", category=category,
                topic=topic, proposer=proposer, proposer_name=proposer_name, proposer_type=kind, co_signers=co_signers,
                co_signer_names=co_names, key_source=key_source, face_to_face_requested=requested,
                received_on=cal.today)
    _dates(plan, rng, cal)
    _assignment(plan, rng)
    return plan


@functools.cache
def _names() -> dict[str, str]:
    return {p.username: p.name for p in people()}


def _category(stage: str, rng: random.Random) -> str:
    choices = [c for c in texts.CATEGORY_WEIGHTS if not (stage == "co_units" and c == "其他")]
    return rng.choices(choices, [texts.CATEGORY_WEIGHTS[c] for c in choices])[0]


def _dates(plan: Plan, rng: random.Random, cal: Calendar) -> None:
    """When the item came, was assigned and (if it was) replied, for its stage."""
    stage = plan.stage
    if stage in AT_SESSION:
        start = cal.current_session if plan.session == CURRENT_SESSION else cal.previous_session
        if rng.random() < 0.8 or stage in ("recheck", "recheck_due"):
            plan.timing, plan.received_on = "session", start
        else:
            plan.timing = rng.choice(["recess", "daily"])
            plan.received_on = cal.workday(start + timedelta(days=rng.randint(40, 120)))
        plan.assigned_on = cal.workday(plan.received_on + timedelta(days=rng.randint(12, 22)))
        plan.delivered_on = min(cal.workday(plan.assigned_on + timedelta(days=rng.randint(45, 85))), cal.ago(1))
        return
    plan.timing = rng.choices(["recess", "daily"], [75, 25])[0]
    if stage in ("intake", "not_registered", "merged", "to_opinion", "assignment"):
        days = rng.randint(0, 9) if stage == "intake" else rng.randint(1, 5)
        if stage == "intake" and plan.index < 2:
            days = rng.randint(12, 20)  # waiting too long: the intake review is overdue
        plan.received_on = cal.ago(days)
        return
    if stage in HANDLING_AGE:
        plan.assigned_on = cal.ago(rng.randint(*HANDLING_AGE[stage]))
    else:  # replied in this year's recess
        plan.delivered_on = cal.ago(rng.randint(*DELIVERED_AGO[stage]))
        plan.assigned_on = cal.workday(plan.delivered_on - timedelta(days=rng.randint(40, 80)))
    plan.received_on = cal.workday(plan.assigned_on - timedelta(days=rng.randint(2, 6)))


def _assignment(plan: Plan, rng: random.Random) -> None:
    """The units, the reply's class and publication."""
    suggested = CATEGORY_UNITS[plan.category]
    counties = [code for code, _name in COUNTIES]
    if plan.stage == "co_units" or (plan.stage in ("completed", "drafting") and plan.index == 3):
        plan.mode, plan.units, plan.co_units = "lead_co", suggested[:1], suggested[1:2]
    elif plan.category == "其他" and plan.stage not in AT_SESSION and plan.stage not in DELIVERED_AGO:
        plan.mode, plan.units = "split", rng.sample(counties, 2)  # both counties handle and reply alone
    elif plan.category == "其他":
        plan.mode, plan.units = "single", [rng.choice(counties)]
    else:
        plan.mode, plan.units = "single", suggested[:1]
    if plan.stage in ("follow_up", "follow_up_due"):
        plan.result_class = "B"
    elif plan.stage in ("recheck", "recheck_due"):
        plan.result_class = "C"
    elif plan.stage in ("completed", "previous"):
        plan.result_class = "A"
    else:
        plan.result_class = rng.choices("ABC", [60, 30, 10])[0]
    plan.publication = rng.choices(["public", "on_request", "not_public"], [70, 20, 10])[0]
    if plan.stage == "publication":
        plan.publication = "public"
    plan.vice_mayor = plan.stage == "vice_mayor_review" and plan.key_source == "none"


# --- driving one item ------------------------------------------------------------------------------

class ItemRun:
    """One item from registration to its stage, acting as the right person at every step."""

    def __init__(self, flow: Flow, plan: Plan, cal: Calendar, rng: random.Random, serials: dict[str, int]):
        self.flow, self.plan, self.cal, self.rng = flow, plan, cal, rng
        self.names = {u.username: u.display_name for u in flow.users.values()}
        self.instance_id: int | None = None
        self.serials = serials

    # --- the stretches ---

    def run(self) -> None:
        """Register the item and drive it until it stands where its stage says (see STAGES)."""
        plan, stage = self.plan, self.plan.stage
        self.register()
        if stage in ("not_registered", "merged", "to_opinion"):
            return self.intake_refused(stage)
        if stage == "intake":
            return
        self.intake()
        if stage == "assignment":
            return
        self.assign()
        if stage == "objection_window":
            return
        if stage in ("objected", "reassigned"):
            self.objection()
        if stage in ("objected", "accepted_by_timer"):
            return  # accepted_by_timer: the window has run out, the worker accepts for the unit
        self.accept()
        self.date_assignment()
        if stage in ("dispatch", "reassigned"):
            return
        for unit in plan.units:
            self.dispatch(unit)
        lead = plan.units[0]
        if stage == "co_units":
            return self.co_unit_work(lead)
        if stage == "consulting" or (stage == "overdue" and plan.index % 2 == 0):
            return
        self.consult(lead)
        if stage == "four_ones":
            return self.four_ones(lead, stop=plan.index % 5)
        if plan.key_source != "none":
            self.four_ones(lead)
        if stage in ("handling", "extension", "urge"):
            return self.supervision(lead)
        self.handle(lead)
        if stage == "face_to_face":
            return self.face_to_face(lead)
        self.face_to_face(lead, finish=True)
        if stage in ("due_soon", "overdue"):
            return
        self.co_units_finish()
        if stage == "drafting":
            return
        self.answer_consultations()
        self.draft(lead)
        if stage == "redo":
            return self.returned(lead)
        for step, stop in ((self.leader, "leader_review"), (self.head, "head_sign"),
                           (self.vice_mayor, "vice_mayor_review"), (self.office, "office_review"),
                           (self.reviewer, "reviewer_review"), (self.deliver, "deliver")):
            if stage == stop:
                return
            step(lead)
        if plan.delivered_on:  # replied in the past: its period dated once the handling (and its timers) is over
            self.date_handling_period(lead)
        if stage == "rehandling":
            return self.unsatisfied(lead)
        if stage == "evaluation":
            return
        self.evaluate()
        if stage == "publication":
            return
        self.publish(lead)
        if stage == "post_review":
            return
        self.post_review(lead)
        if stage in ("follow_up", "follow_up_due"):
            return self.follow_up(lead, due=stage == "follow_up_due")
        if stage in ("recheck", "recheck_due"):
            return self.recheck(lead, due=stage == "recheck_due")
        self.other_units()

    # --- registration and intake ---

    def register(self) -> None:
        p = self.plan
        lead_name = UNIT_NAMES[CATEGORY_UNITS[p.category][0]] if CATEGORY_UNITS[p.category] else "有关部门"
        values = dict(
            item_type=p.item_type, session=p.session, timing=p.timing, item_no=p.item_no,
            title=texts.title(p.item_type, p.topic), body=texts.body(p.topic, lead_name, self.rng),
            category=p.category, source=_source(p),
            contact=f"1{self.rng.choice('3589')}{self.rng.randint(100000000, 999999999)}",
            suggested_units=lead_name if self.rng.random() < 0.5 else "", received_on=p.received_on,
            proposer_type=p.proposer_type, proposer=p.proposer or "", proposer_name=p.proposer_name,
            co_signers=p.co_signers, co_signer_names="、".join(p.co_signer_names), key_source=p.key_source,
            key_leader=self.key_leader() if p.key_source != "none" else "",
            publication_consent=p.publication != "not_public",
            proposer_requested_face_to_face=p.face_to_face_requested)
        item = register_item(self.flow.engine, values, self.flow.users["office"])
        self.instance_id = item.instance_id
        self.flow.steps += 1
        self.flow.jobs()

    def key_leader(self) -> str:
        if self.plan.key_source == "npc_cppcc":
            return f"{self.names['vice_mayor']}（副市长）"
        return f"{self.names[self.plan.units[0] + '_head'] if self.plan.units else self.names['vice_mayor']}（主要领导）"

    def intake_refused(self, stage: str) -> None:
        values = {"not_registered": dict(intake_decision="reject", intake_reason="所提事项属于司法程序范畴，不属于本级政府职权，建议通过法定途径反映。"),
                  "merged": dict(intake_decision="merge",
                                 merged_into=f"{CURRENT_SESSION}第{self.rng.randint(1, 60):04d}号"),
                  "to_opinion": dict(intake_decision="to_opinion", intake_reason="所提内容为个人诉求，转为意见建议交有关部门处理。")}
        self.do("intake_review", "office", **values[stage])

    def intake(self) -> None:
        self.do("intake_review", self.office_person(), intake_decision="register")

    def assign(self) -> None:
        p = self.plan
        values = dict(handling_mode=p.mode, requirements="请按照“五定”要求落实办理责任，先协商后答复，按期高质量办结。",
                      office_requires_vice_mayor=p.vice_mayor)
        if p.mode == "split":
            values.update(lead_unit="", co_units=[], split_units=p.units)
        else:
            values.update(lead_unit=p.units[0], co_units=p.co_units, split_units=[])
        self.do("assign_units", self.office_person(), jobs=False, **values)
        if p.stage in ("objection_window", "objected", "accepted_by_timer"):
            # the objection window runs from the assignment, days ago for these (for `accepted_by_timer`
            # long enough for the worker to close it); dated before the notice to the units goes out
            self.date_assignment(acceptances=False)
        self.flow.jobs()

    def objection(self) -> None:
        p = self.plan
        wrong = p.units[0]
        new_lead = "zjj" if wrong != "zjj" else "cgj"
        self.do("check_remit", f"{wrong}_liaison", unit=wrong, remit_decision="object",
                objection_reason=f"经核对，该事项主要涉及{UNIT_NAMES[new_lead]}的职责，我单位可配合办理，建议调整主办单位。")
        for unit in p.units[1:] + p.co_units:
            self.do("check_remit", f"{unit}_liaison", unit=unit, remit_decision="accept")
        if p.stage == "objected":
            return
        p.units = [new_lead] + p.units[1:]
        self.do("assign_units", self.office_person(), handling_mode=p.mode,
                lead_unit=new_lead if p.mode != "split" else "",
                co_units=p.co_units, split_units=p.units if p.mode == "split" else [],
                requirements="经核对，调整由新的主办单位办理。")

    def accept(self) -> None:
        p = self.plan
        for unit in (p.units + p.co_units):
            if any(t.element_id == "check_remit" and t.unit == unit for t in self.flow.open_tasks(self.instance_id)):
                self.do("check_remit", f"{unit}_liaison", unit=unit, remit_decision="accept")

    def date_assignment(self, acceptances=True) -> None:
        """The assignment's date as planned (see webapp/demo/flow.py), once the units have checked it:
        the date, the units' receipts and the period. The period that the handling's reminders and
        overdue timer count from (`due`) only for an item still in handling; a replied one gets it
        after its reply (`date_handling_period`), so that none of them fires on its way."""
        day = self.plan.assigned_on
        if day is None or day >= self.cal.today:
            return
        signed = self.cal.workday(min(day + timedelta(days=self.rng.randint(1, 4)), self.cal.today)).isoformat()
        today = self.cal.today.isoformat()
        handling_due = period("handling", day.isoformat())
        values = {"assigned_on": day.isoformat(), "handling_due": handling_due,
                  "co_opinion_due": period("co_unit_opinion", day.isoformat())}
        if acceptances and self.plan.delivered_on is None:
            values["due"] = handling_due

        def receipts(entries):  # 签收: a few days after the assignment (the script recorded today)
            return [dict(a, on=signed) if a.get("decision") == "accept" and a.get("on") == today else a
                    for a in entries]
        self.flow.set_dates(self.instance_id, values, recorded={"acceptances": receipts} if acceptances else None,
                            note=f"演示数据：交办日期为 {day.isoformat()}")

    def date_handling_period(self, unit: str) -> None:
        day = self.plan.assigned_on
        self.flow.set_dates(self.instance_id, unit=unit, unit_values={"due": period("handling", day.isoformat())},
                            note=f"演示数据：办理期限自 {day.isoformat()} 起算")

    # --- in the unit ---

    def dispatch(self, unit: str) -> None:
        a = self.plan.assigned_on or self.cal.today
        self.do("dispatch", f"{unit}_liaison", unit=unit,
                division=self.rng.choice(["综合科", "业务一科", "规划科", "政策法规科", "行政审批科"]),
                handler_name=self.names[f"{unit}_handler"], leader_name=self.names[f"{unit}_leader"],
                responsible_head=self.names[f"{unit}_head"], internal_due=(a + timedelta(days=75)).isoformat(),
                task_requirements="定职责、定任务、定人员、定时限、定要求；办前、办中、办后与代表委员充分沟通。")

    def consult(self, unit: str) -> None:
        p = self.plan
        method = "face_to_face" if p.face_to_face_requested and p.stage != "face_to_face" else \
            self.rng.choice(["phone", "visit", "forum", "video", "face_to_face"])
        extra = {}
        if p.stage == "face_to_face":
            extra = dict(face_to_face_beneficial=p.index % 2 == 1, face_to_face_feasible=True)
            method = "phone"
        self.do("consult_before", f"{unit}_handler", unit=unit, consult_method=method, consult_date=self.day(0.15),
                consult_participants=f"{p.proposer_name}、{self.names[unit + '_handler']}",
                consult_summary="了解代表委员的意图和具体诉求，商定办理思路和时间安排。", **extra)

    def answer_consultations(self) -> None:
        """The lead proposer answers the units' consultation records (协商记录) once the handling is done:
        he confirms them, except on the items the office sends back (重新办理) or he is not satisfied
        with, where he disputes the latest one (shown in red to the unit and the office). Items still in
        handling keep theirs 待确认."""
        p = self.plan
        user = self.flow.users.get(p.proposer or "")
        if user is None:
            return
        with self.flow.engine.db.write() as s:
            pending = list(s.scalars(select(ConsultationRecord.id).where(
                ConsultationRecord.instance_id == self.instance_id, ConsultationRecord.status == "pending")
                .order_by(ConsultationRecord.id)))
            for n, record_id in enumerate(pending):
                disputed = p.stage in ("redo", "rehandling") and n == len(pending) - 1
                answer(s, record_id, user, confirmed=not disputed,
                       comment="办中只是电话告知了进展，没有听取我对具体措施的意见，请再当面沟通一次。" if disputed else "")

    def four_ones(self, unit: str, stop: int | None = None) -> None:
        steps = [
            ("draft_work_plan", "handler", dict(work_plan="成立由主要领导任组长的工作专班，分调研、方案、实施、评估四步推进，每月调度一次。",
                                                plan_timetable="第一个月完成调研，第二个月形成方案，第三个月组织实施。",
                                                plan_lead=self.names[unit + "_head"])),
            ("approve_work_plan", "head", dict(plan_decision="approve")),
            ("joint_investigation", "handler", dict(
                investigation_date=self.day(0.3), proposer_joined=True, supervisor_joined=True,
                investigation_participants=f"{self.plan.proposer_name}、市政府办公室督查室、{UNIT_NAMES[unit]}",
                investigation_findings="实地查看了现场，听取了群众意见，问题主要在于投入不足和管理分散。")),
            ("face_to_face_meeting", "handler", dict(
                meeting_date=self.day(0.4),
                meeting_participants=f"{self.plan.proposer_name}、{self.names[unit + '_head']}",
                meeting_summary="主要领导与代表委员当面商定了办理措施和完成时限。")),
            ("situation_report", "handler", dict(situation_report_text="重点事项办理情况：已完成工作方案、联合调研和面商会议，各项措施正在落实。")),
        ]
        for number, (element, role, values) in enumerate(steps):
            if stop is not None and number == stop:
                return
            self.do(element, f"{unit}_{role}", unit=unit, **values)

    def supervision(self, unit: str) -> None:
        """Items in handling with something for the office: an extension request, an urge (or none)."""
        p = self.plan
        if p.stage == "extension":
            due = (p.assigned_on + timedelta(days=150)).isoformat()
            self.flow.message(self.instance_id, "extension_requested",
                              {"extension_reason": "需等待年度财政预算批复后才能确定实施方案。", "requested_due": due},
                              unit, f"{unit}_liaison", f"申请延期（{UNIT_NAMES[unit]}）")
        elif p.stage == "urge":
            self.flow.message(self.instance_id, "urge", {"urge_message": "该事项即将到期，请加快办理进度，按时答复代表委员。",
                                                         "urge_method": "online" if p.index % 2 else "phone"},
                              unit, "office2", f"催办（{UNIT_NAMES[unit]}）")

    def handle(self, unit: str) -> None:
        outcome = {"A": "solve_now", "B": "plan", "C": "explain"}[self.plan.result_class]
        self.do("handle_item", f"{unit}_handler", unit=unit, handling_measures="会同相关部门实地调研，制定了具体措施并组织实施。",
                handling_outcome=outcome, during_method=self.rng.choice(["phone", "online", "visit"]),
                during_date=self.day(0.5), during_summary="向代表委员通报办理进展，听取对措施的意见。")

    def face_to_face(self, unit: str, finish=False) -> None:
        """面商 where the decision table asks for it: recorded, or explained and approved (with
        `finish`), else stopping at the first of those steps (the `face_to_face` stage)."""
        for _ in range(4):
            open_now = {t.element_id for t in self.flow.open_tasks(self.instance_id) if t.unit == unit}
            if "record_face_to_face" in open_now:
                if not finish:
                    return
                self.do("record_face_to_face", f"{unit}_handler", unit=unit, f2f_date=self.day(0.55),
                        f2f_participants=f"{self.plan.proposer_name}、{self.names[unit + '_handler']}",
                        f2f_summary="当面听取意见，逐条沟通办理措施。")
            elif "explain_no_face_to_face" in open_now:
                if not finish and self.plan.index % 4 == 1:
                    return
                self.do("explain_no_face_to_face", f"{unit}_handler", unit=unit,
                        no_f2f_reason="代表委员近期在外地学习，已通过视频和电话多次沟通，意见已充分听取。")
            elif "approve_no_face_to_face" in open_now:
                if not finish:
                    return
                self.do("approve_no_face_to_face", f"{unit}_leader", unit=unit, no_f2f_decision="approve")
            else:
                return

    def co_unit_work(self, lead: str) -> None:
        """The co-units' opinions for the lead unit, each stopping at a different step."""
        stop = self.plan.index % 3
        for unit in self.plan.co_units:
            self.do("co_dispatch", f"{unit}_liaison", unit=unit, co_division="业务科",
                    co_handler=self.names[unit + "_handler"])
            if stop == 0:
                continue
            self.do("write_co_opinion", f"{unit}_handler", unit=unit, co_contact=self.names[unit + "_handler"],
                    co_phone="0351-6" + str(self.rng.randint(100000, 999999)),
                    co_opinion_text=f"{UNIT_NAMES[unit]}同意配合主办单位办理，负责本部门职责范围内的相关工作并按期反馈进展。")
            if stop == 2:
                self.do("sign_co_opinion", f"{unit}_head", unit=unit, co_sign_decision="return",
                        co_sign_comment="请写明具体措施和完成时限。")

    def co_units_finish(self) -> None:
        for unit in self.plan.co_units:
            self.do("co_dispatch", f"{unit}_liaison", unit=unit, co_division="业务科",
                    co_handler=self.names[unit + "_handler"])
            self.do("write_co_opinion", f"{unit}_handler", unit=unit, co_contact=self.names[unit + "_handler"],
                    co_phone="0351-6" + str(self.rng.randint(100000, 999999)),
                    co_opinion_text=f"{UNIT_NAMES[unit]}将在职责范围内配合落实，并于每月底向主办单位报送进展。")
            self.do("sign_co_opinion", f"{unit}_head", unit=unit, co_sign_decision="approve",
                    co_doc_prefix=DOC_PREFIXES.get(unit, "函"), co_doc_serial=self.serial(unit))
            self.do("co_unit_reply", f"{unit}_handler", unit=unit, co_reply_scan=scan_pdf("Co-unit reply"),
                    co_reply_text=f"{UNIT_NAMES[unit]}已就协办事项单独答复代表委员，相关措施正在落实。")

    def draft(self, unit: str, again=False) -> None:
        p = self.plan
        values = dict(result_class=p.result_class, reply_body=texts.reply(p.topic, p.result_class),
                      class_basis={"A": "所提问题已经解决或基本解决。", "B": "已列入工作计划，正在逐步解决。",
                                   "C": "受条件限制，目前暂时无法办理。"}[p.result_class],
                      publication=p.publication, contact_person=self.names[unit + "_handler"],
                      contact_phone="0351-" + str(self.rng.randint(2000000, 8999999)))
        if p.publication == "not_public":
            values["no_publish_reason"] = "答复内容涉及个人信息。"
        if p.result_class == "B":
            values["commitments"] = "一、年内完成方案设计；二、明年上半年组织实施。"
            values["commitment_due"] = self.commitment_due().isoformat()
        self.do("draft_reply", f"{unit}_handler", unit=unit, **values)

    def commitment_due(self) -> date:
        if self.plan.stage == "follow_up_due":
            return self.cal.ago(self.rng.randint(5, 20))  # due recently: the follow-up is on now
        return self.cal.today + timedelta(days=self.rng.randint(40, 160))

    def returned(self, unit: str) -> None:
        """A review that sends the draft back: the unit's leader, the office or the reviewing body."""
        variant = self.plan.index % 3
        if variant == 0:
            self.do("leader_review", f"{unit}_leader", unit=unit, leader_decision="return",
                    leader_comment="答复针对性不强，请逐条回应代表委员提出的建议。")
            return
        self.leader(unit)
        self.head(unit)
        self.vice_mayor()
        if variant == 1:
            self.do("office_review", self.office_person(), office_decision="return", solves_problem=False,
                    communicated=True,
                    office_comment="答复未解决实际问题，请重新研究措施，一个月内重新答复。")
            return
        self.office()
        self.do("reviewer_review", self.reviewer_person(), reviewer_decision="return",
                reviewer_comment="与代表委员沟通不够充分，请补充办前协商情况后重新答复。")

    def leader(self, unit: str) -> None:
        self.do("leader_review", f"{unit}_leader", unit=unit, leader_decision="approve")

    def head(self, unit: str) -> None:
        self.do("head_sign", f"{unit}_head", unit=unit, head_decision="approve", doc_prefix=DOC_PREFIXES.get(unit, "函"),
                doc_serial=self.serial(unit))

    def vice_mayor(self, _unit=None) -> None:
        if any(t.element_id == "vice_mayor_review" for t in self.flow.open_tasks(self.instance_id)):
            self.do("vice_mayor_review", "vice_mayor" if self.plan.index % 2 == 0 else "vice_mayor2",
                    vm_decision="approve")

    def office(self, _unit=None) -> None:
        self.do("office_review", self.office_person(), office_decision="approve", solves_problem=True,
                communicated=True)

    def reviewer(self, _unit=None) -> None:
        self.do("reviewer_review", self.reviewer_person(), reviewer_decision="approve")

    def deliver(self, unit: str) -> None:
        day = self.plan.delivered_on.isoformat() if self.plan.delivered_on else self.day(0.95)
        self.do("deliver_reply", f"{unit}_liaison", unit=unit, signed_scan=scan_pdf(), delivered_on=day,
                delivery_method=self.rng.choice(["platform", "platform", "mail", "in_person"]))

    def evaluate(self, unsatisfied: bool = False) -> None:
        """Every evaluator's 满意度测评 (the lead proposer's first; unsatisfied if asked)."""
        for number, (task, user) in enumerate(self.flow.evaluations(self.instance_id)):
            if unsatisfied and number == 0:
                values = dict(satisfaction="unsatisfied", evaluation_comment="措施不够具体，问题尚未得到解决。")
            else:
                values = dict(satisfaction=self.rng.choices(["satisfied", "basically"], [75, 25])[0])
            if user is None:  # a collective proposer: the office records the evaluation by telephone
                self.flow.complete(task, self.office_person(), by_office=True, **values)
            else:
                self.flow.complete(task, user, **values)

    def unsatisfied(self, unit: str) -> None:
        self.evaluate(unsatisfied=True)
        open_now = {t.element_id for t in self.flow.open_tasks(self.instance_id)}
        if "analyse_dissatisfaction" in open_now and self.plan.index % 2:
            self.do("analyse_dissatisfaction", f"{unit}_handler", unit=unit,
                    dissatisfaction_analysis="代表认为措施落实不到位，主要是资金未及时到位。",
                    rehandle_plan="一个月内落实资金，完成整改后再次答复。")

    def publish(self, unit: str) -> None:
        if any(t.element_id == "publish_reply" for t in self.flow.open_tasks(self.instance_id)):
            self.do("publish_reply", f"{unit}_liaison", unit=unit, contact_removed="confirmed",
                    public_summary="答复全文已在政府网站建议提案办理结果公开专栏公开。")

    def post_review(self, unit: str) -> None:
        solved = {"A": "solved", "B": "partly", "C": "not_yet"}[self.plan.result_class]
        self.do("post_reply_review", f"{unit}_handler", unit=unit, problem_solved=solved,
                commitments_on_track=self.plan.result_class == "B", review_notes="已回访代表委员，办理措施落实情况良好。")

    def follow_up(self, unit: str, due: bool) -> None:
        if not due:
            return  # waits for the commitment's date (plan_follow_up)
        # the commitment fell due a few days ago: the follow-up date is set to then and the timer fires
        day = self.cal.ago(self.rng.randint(2, 6))
        self.flow.set_dates(self.instance_id, {"follow_up_at": end_of_day(day.isoformat())},
                            unit=unit, note="演示数据：跟踪时间已到")
        self.flow.settle()

    def recheck(self, unit: str, due: bool) -> None:
        if due:  # replied about a year ago: the yearly re-check is due now
            day = self.cal.ago(self.rng.randint(2, 6))
        else:
            day = self.cal.workday(self.plan.delivered_on + timedelta(days=365)) if self.plan.delivered_on else None
            if day is None or day <= self.cal.today:
                return
        self.flow.set_dates(self.instance_id, {"recheck_at": end_of_day(day.isoformat())}, unit=unit,
                            note="演示数据：复查时间为 " + day.isoformat())
        if due:
            self.flow.settle()

    def other_units(self) -> None:
        """Split items: the other units' handling done the same way (a completed item needs them all)."""
        for unit in self.plan.units[1:]:
            if self.plan.mode != "split":
                break
            self.consult(unit)
            self.handle(unit)
            self.face_to_face(unit, finish=True)
            self.draft(unit)
            self.leader(unit)
            self.head(unit)
            self.vice_mayor()
            self.office()
            self.reviewer()
            self.deliver(unit)
            self.evaluate()
            if any(t.element_id == "publish_reply" for t in self.flow.open_tasks(self.instance_id)):
                self.do("publish_reply", f"{unit}_liaison", unit=unit, contact_removed="confirmed")
            self.post_review(unit)

    # --- helpers ---

    def do(self, element_id: str, username: str, unit: str | None = None, **values) -> None:
        self.flow.do(self.instance_id, element_id, username, unit, **values)

    def office_person(self) -> str:
        return ("office", "office2", "office3")[self.plan.index % 3]

    def reviewer_person(self) -> str:
        base = "cppcc_reviewer" if self.plan.item_type == "proposal" else "npc_reviewer"
        return base if self.plan.index % 3 else base + "2"

    def day(self, fraction: float) -> str:
        """A day `fraction` of the way from the assignment to the reply (or today)."""
        start = self.plan.assigned_on or self.cal.today
        end = self.plan.delivered_on or self.cal.today
        return self.cal.workday(start + timedelta(days=int((end - start).days * fraction))).isoformat()

    def serial(self, unit: str) -> int:
        self.serials[unit] = self.serials.get(unit, 0) + 1
        return self.serials[unit]


def _source(plan: Plan) -> str:
    if plan.timing == "session":
        return "cppcc_batch" if plan.item_type == "proposal" else "npc_batch"
    if plan.timing == "recess":
        return "cppcc_platform" if plan.item_type == "proposal" else "npc_platform"
    return "letter_visit"


def seed_items(engine, total: int = DEFAULT_ITEMS, progress=None) -> dict[str, str]:
    """Register and drive `total` items; returns {business key: stage name}."""
    with engine.clock.steady():  # nobody changes the rules or the calendar meanwhile: read them once
        return _seed_items(engine, total, progress)


def _seed_items(engine, total, progress) -> dict[str, str]:
    cal = Calendar(engine)
    flow = Flow(engine)
    plans = plan_items(total, cal)
    rng = random.Random(SEED + 1)
    serials: dict[str, int] = {}  # each unit's letters numbered in order (交函〔2026〕1号, 2号…)
    stages = {}
    for number, plan in enumerate(plans, 1):
        run = ItemRun(flow, plan, cal, rng, serials)
        try:
            run.run()
        except Exception as e:
            raise DemoError(f"演示事项 {plan.session} {plan.item_type} {plan.item_no}（{plan.stage}）未能完成：{e}") from e
        stages[business_key(plan.item_type, plan.session, plan.item_no)] = plan.stage
        if progress and (number % 20 == 0 or number == len(plans)):
            progress(number, len(plans), flow.steps)
    flow.settle()  # what the worker does first: timers that ran out (overdue, reminders, closed windows)
    return stages
