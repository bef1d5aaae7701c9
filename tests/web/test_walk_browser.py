"""Issue 6: one 人大建议 and one key 政协提案 walked from intake to evaluation in a real browser (Debian's
headless Chromium), through the pages a person uses, by every role of the small city of
tests/procedure/driver.py (password "secret").

Each actor logs in through /login, finds the task in 待办 (claiming it from 待认领), fills the generated
form and submits it. Between steps the test runs what the worker process would run (timers and
service tasks: `engine.management.run_once()`, the worker loop's own step) until nothing is due.
Every page visited is saved as test-artifacts/screenshots/walk-*.png.
"""
from datetime import timedelta

import pytest
from docx import Document

from tests.conftest import sqlite_copy
from tests.web.browser_support import require, shot

sync_api = require()
expect = sync_api.expect

REPLY = ("一、基本情况\n我局会同公交集团对城区线路客流进行了调查，调整了3条重复线路，早晚高峰增开班次，"
         "新增换乘站点两处。\n二、下一步工作\n持续跟踪客流变化，适时优化运力投放，方便群众出行。")
PROPOSAL_REPLY = ("一、基本情况\n我局会同市住建局开展联合调研，与提案人面商，确定首批在人民路、解放路建设公交专用道，"
                  "配套电子执法设备。\n二、下一步工作\n评估首批效果后逐步扩展，提高公交准点率。")
SCAN = {"name": "答复函（签章）.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 signed scan"}


class Walk:
    """The people of one walk, each in a browser context of their own, logged in once."""

    def __init__(self, browser, base, engine, request, name):
        self.browser, self.base, self.engine, self.request, self.name = browser, base, engine, request, name
        self.pages = {}
        self.count = 0
        self.today = engine.clock.today()
        self.title = None

    def close(self):
        for page in self.pages.values():
            page.context.close()

    def day(self, offset=0) -> str:
        return (self.today + timedelta(days=offset)).isoformat()

    def shot(self, page, what):
        self.count += 1
        shot(page, f"walk-{self.name}-{self.count:02d}-{what}", self.request)

    def work(self):
        """What the worker process does between two clicks: fire due timers, run service tasks."""
        while self.engine.management.run_once():
            pass

    def open_tasks(self) -> list[str]:
        """For the message of a failed step only: the open tasks of the walk's item."""
        from sqlalchemy import select

        from webapp.models import HumanTask, Instance
        with self.engine.db.read() as s:
            return list(s.scalars(select(HumanTask.name).join(Instance, Instance.id == HumanTask.instance_id)
                                  .where(Instance.title == self.title, HumanTask.status == "open")))

    def page(self, username):
        if username not in self.pages:
            context = self.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                               viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(30000)
            page.goto(f"{self.base}/login")
            page.fill("#username", username)
            page.fill("#password", "secret")
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("待办任务")
            self.pages[username] = page
        return self.pages[username]

    def inbox(self, username, task_name):
        """Open 待办, claim the task of this item if it is still to be claimed, open it from 我的任务."""
        self.work()
        page = self.page(username)
        page.locator("nav.main-nav").get_by_role("link", name="待办", exact=True).click()
        page.locator(".tabs a", has_text="待认领").click()
        expect(page.locator(".tabs a.active")).to_contain_text("待认领")
        row = page.locator("tbody tr", has_text=self.title).filter(
            has=page.get_by_role("link", name=task_name, exact=True))
        if row.count():
            self.shot(page, f"{username}-inbox-to-claim")
            row.get_by_role("button", name="认领").click()
            expect(page.locator(".alert-success")).to_contain_text("已认领")
        page.locator(".tabs a", has_text="我的任务").click()
        expect(page.locator(".tabs a.active")).to_contain_text("我的任务")
        row = page.locator("tbody tr", has_text=self.title).filter(
            has=page.get_by_role("link", name=task_name, exact=True))
        try:
            expect(row).to_have_count(1)
        except AssertionError as e:
            raise AssertionError(f"{username} has no {task_name}; open tasks: {self.open_tasks()}") from e
        self.shot(page, f"{username}-inbox-mine")
        row.get_by_role("link", name="办理", exact=True).click()
        expect(page.locator("h1")).to_have_text(task_name)
        return page

    def act(self, username, task_name, check=None, typed=None, **values):
        """`username` does the task `task_name` of this item with these form values; `check(page)` looks
        at the page before typing, `typed(page)` after."""
        page = self.inbox(username, task_name)
        self.shot(page, f"{username}-{task_name}")
        if check:
            check(page)
        fill(page, "f", values)
        if typed:
            typed(page)
        self.shot(page, f"{username}-{task_name}-filled")
        page.locator("form.task-form button[type=submit]").click()
        outcome = page.locator(".alert-success, .alert-error, .field-error, .alert-warning")
        expect(outcome.first).to_be_visible()
        assert page.locator(".alert-success").count(), f"{task_name} refused: {outcome.all_inner_texts()}"
        expect(page.locator(".alert-success")).to_contain_text("已提交")
        self.shot(page, f"{username}-{task_name}-done")
        return page

    def item_page(self, username):
        self.work()
        page = self.page(username)
        page.locator("nav.main-nav").get_by_role("link", name="事项", exact=True).click()
        row = page.locator("tbody tr", has_text=self.title)
        expect(row).to_have_count(1)
        self.shot(page, f"{username}-items")
        row.get_by_role("link", name=self.title).click()
        expect(page.locator("h1")).to_have_text(self.title)
        return page


def fill(page, prefix, values):
    """Fill a form as a person does, whatever the widget of each field."""
    for name, value in values.items():
        field = page.locator(f"#{prefix}-{name}")
        kind = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind == "select:select-one":
            field.select_option(value)
        elif kind == "input:checkbox":
            field.set_checked(bool(value))
        elif kind == "input:file":
            field.set_input_files(value)
        elif kind.startswith("div"):  # a unit picker: one checkbox per unit
            for code in value:
                field.locator(f"input[value='{code}']").check()
        else:
            field.fill(str(value))


def register(walk, **values):
    page = walk.page("office")
    page.locator("nav.main-nav").get_by_role("link", name="新建事项").click()
    expect(page.locator("h1")).to_have_text("新建事项")
    fill(page, "i", values)
    walk.shot(page, "office-new-item")
    page.get_by_role("button", name="登记并进入审查").click()
    expect(page.locator(".alert-success")).to_contain_text("已登记")
    expect(page.locator("h1")).to_have_text(values["title"])
    walk.shot(page, "office-registered")
    walk.title = values["title"]


def suggestions_shown(names):
    """The assignment page shows the decision table's suggested units by name."""
    def check(page):
        expect(page.locator("#f-suggestion_view")).to_have_text(names)
    return check


def preview_follows(title, body_text):
    """The live letter preview beside the reply form shows the letter as typed (nothing saved yet)."""
    def typed(page):
        preview = page.locator("[data-testid=letter-preview]")
        expect(preview.locator("[data-part=title]")).to_have_text(title)
        expect(preview.locator("[data-part=body]")).to_contain_text(body_text)
    return typed


def confirm_consultations(walk, username, count):
    """The lead proposer confirms the units' consultation records on the item page."""
    page = walk.item_page(username)
    records = page.locator("[data-testid=consultation-records] tbody tr")
    expect(records).to_have_count(count)
    walk.shot(page, f"{username}-consultations")
    for n in range(count):
        record = records.nth(n)
        expect(record.locator("[data-testid=consultation-status]")).to_have_text("待确认")
        record.get_by_role("button", name="确认", exact=True).click()
        expect(page.locator(".alert-success")).to_contain_text("已确认协商记录。")
        expect(records.nth(n).locator("[data-testid=consultation-status]")).to_have_text("已确认")
    walk.shot(page, f"{username}-consultations-confirmed")


def read_docx(page, link_name) -> Document:
    with page.expect_download() as download:
        page.locator("#materials").get_by_role("link", name=link_name).click()
    return Document(download.value.path())


@pytest.fixture
def database_url(sqlite_template, tmp_path):
    """SQLite only: each test walks many pages (minutes); the procedure runs on PostgreSQL in tests/procedure."""
    return sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
def walk(live_server, browser, procedure, engine, request):
    walks = []

    def _walk(name):
        walks.append(Walk(browser, live_server, engine, request, name))
        return walks[-1]
    yield _walk
    for w in walks:
        w.close()


# --- walk 1: a 人大建议 handled by one unit ---------------------------------------------------------------

def test_walk_a_suggestion_from_intake_to_evaluation(walk):
    w = walk("suggestion")
    title = "关于优化城区公交线路的建议"
    register(w, item_type="suggestion", session="十七届五次", item_no="61", timing="session", source="manual",
             title=title, body="城区部分公交线路重复、换乘不便，建议优化线路，增开早晚高峰班次。",
             category="交通运输", proposer_type="individual", proposer="deputy", key_source="none",
             publication_consent=True)

    w.act("office", "分类甄选／快速审查", intake_decision="register", category="交通运输")
    w.act("office", "交办：确定承办单位", check=suggestions_shown("市交通运输局、市住房和城乡建设局"),
          handling_mode="single", lead_unit="jtj")
    w.act("jtj_liaison", "签收核对：是否属于本单位职责", remit_decision="accept")
    w.act("jtj_liaison", "内部交办（五定）", division="运输科", handler_name="李经办", leader_name="张副局长",
          responsible_head="陈局长", internal_due=w.day(30), task_requirements="按期高质量办结，办前与代表沟通")
    w.act("jtj_handler", "办前协商：了解意图诉求", consult_method="phone", consult_date=w.day(),
          consult_participants="刘代表、李经办", consult_summary="了解代表对线路优化的具体诉求")
    w.act("jtj_handler", "调查研究与办理（办中协商）", handling_measures="调整3条重复线路，早晚高峰增开班次",
          handling_outcome="solve_now", during_method="phone", during_date=w.day(),
          during_summary="向代表通报线路调整方案")
    # the deputy confirms the two consultations recorded so far (办前, 办中)
    confirm_consultations(w, "deputy", 2)
    w.act("jtj_handler", "拟写书面答复", typed=preview_follows("关于市十七届人大五次会议第61号建议的答复", "调整了3条重复线路"),
          result_class="A", class_basis="所提问题已经解决",
          reply_body=REPLY,
          publication="public", contact_person="李经办", contact_phone="0359-2345678")
    w.act("jtj_leader", "分管领导审核", leader_decision="approve")
    w.act("jtj_head", "主要领导签发", head_decision="approve", doc_prefix="交函", doc_serial="12")
    w.act("office", "市政府办公室审核", solves_problem=True, communicated=True, result_class="A",
          office_decision="approve")
    w.act("npc_reviewer", "代表工委／提案委审核", reviewer_decision="approve")

    # The reply letter was made: the office opens it from the item page and reads it back.
    w.work()
    page = w.item_page("office")
    letter = "关于市十七届人大五次会议第61号建议的答复.docx"
    expect(page.locator("#materials").get_by_role("link", name=letter)).to_be_visible()
    w.shot(page, "office-item-with-letter")
    texts = [p.text.replace("\n", "") for p in read_docx(page, letter).paragraphs]
    assert "关于市十七届人大五次会议第61号建议的答复" in texts
    assert "交函〔{}〕12号".format(w.today.year) in texts

    w.act("jtj_liaison", "签章送达答复函", signed_scan=SCAN, delivered_on=w.day(), delivery_method="platform")

    # The deputy sees the item and its status, then evaluates the reply.
    page = w.item_page("deputy")
    progress = page.locator("[data-testid=item-progress]")
    expect(progress.locator("li[data-stage=答复]")).to_have_attribute("data-state", "done")
    expect(progress.locator("li[data-stage=测评]")).to_have_attribute("data-state", "current")
    w.act("deputy", "满意度测评", satisfaction="satisfied", evaluation_comment="线路调整后出行方便多了。")
    w.work()
    page = w.item_page("deputy")
    expect(progress.locator("li[data-stage=测评]")).to_have_attribute("data-state", "done")
    evaluation = page.locator("table.history tr", has_text="满意度测评").filter(has_text="线路调整后出行方便多了。")
    expect(evaluation).to_contain_text("满意")
    w.shot(page, "deputy-item-evaluated")


# --- walk 2: a key 政协提案 with a co-unit, the 四个一 and two evaluators --------------------------------------

def test_walk_a_key_proposal_with_a_co_unit_from_intake_to_evaluation(walk):
    w = walk("proposal")
    title = "关于建设城区公交专用道的提案"
    register(w, item_type="proposal", session="十七届五次", item_no="88", timing="session", source="manual",
             title=title, body="城区主干道高峰拥堵，公交准点率低，建议分步建设公交专用道并加强执法。",
             category="交通运输", proposer_type="joint", proposer="member", co_signers=["cosigner"],
             key_source="npc_cppcc", key_leader="郑副市长", publication_consent=True)

    w.act("office", "分类甄选／快速审查", intake_decision="register", category="交通运输", is_key=True,
          key_source="npc_cppcc")
    w.act("office", "交办：确定承办单位", check=suggestions_shown("市交通运输局、市住房和城乡建设局"),
          handling_mode="lead_co", lead_unit="jtj", co_units=["zjj"])
    w.act("jtj_liaison", "签收核对：是否属于本单位职责", remit_decision="accept")
    w.act("zjj_liaison", "签收核对：是否属于本单位职责", remit_decision="accept")
    w.act("jtj_liaison", "内部交办（五定）", division="运输科", handler_name="李经办", leader_name="张副局长",
          responsible_head="陈局长", internal_due=w.day(60), task_requirements="重点提案，落实四个一")

    # the co-unit: its opinion, signed by its head
    w.act("zjj_liaison", "协办单位内部交办", co_division="规划科", co_handler="赵六")
    w.act("zjj_handler", "提出协办意见", co_opinion_text="我局同意配合建设公交专用道，负责沿线道路改造的规划审批和施工组织。",
          co_contact="赵六", co_phone="0359-3456789")

    # the lead unit: consultation, then the 四个一
    w.act("jtj_handler", "办前协商：了解意图诉求", consult_method="visit", consult_date=w.day(),
          consult_participants="吴委员、李经办", consult_summary="了解委员对专用道选线和执法的意见")
    w.act("jtj_handler", "一个工作方案：制定办理方案",
          work_plan="成立专班，分三步推进：调研客流与路况、确定首批专用道线路、施工并配套电子执法。",
          plan_timetable="12月调研，次年3月方案，6月建成首批", plan_lead="陈局长")
    w.act("jtj_head", "主要领导审定工作方案", plan_decision="approve")
    w.act("jtj_handler", "一次联合调研", investigation_date=w.day(), investigation_participants="吴委员、市政协提案委、市住建局",
          proposer_joined=True, supervisor_joined=True, co_units_joined=True, investigation_findings="人民路、解放路高峰拥堵最重")
    w.act("jtj_handler", "一场面商会议", meeting_date=w.day(), meeting_participants="吴委员、陈代表、陈局长",
          meeting_summary="商定首批在人民路、解放路建设专用道")
    w.act("jtj_handler", "一份情况报告", situation_report_text="重点提案办理情况：已完成联合调研和面商，首批专用道方案已确定。")
    w.act("jtj_handler", "调查研究与办理（办中协商）", handling_measures="确定首批两条专用道，配套电子执法设备",
          handling_outcome="solve_now", during_method="phone", during_date=w.day(), during_summary="通报专用道选线")
    # the co-unit's head signs its opinion; the co-unit answers the member directly
    w.act("zjj_head", "协办单位主要领导签发协办意见", co_sign_decision="approve", co_doc_prefix="住建函",
          co_doc_serial="8")
    w.act("zjj_handler", "协办单位答复代表委员", co_reply_text="协办单位答复：我局负责沿线道路改造，预计明年五月完工。",
          co_reply_scan=SCAN)
    w.act("jtj_handler", "拟写书面答复", check=lambda page: expect(page.locator("main")).to_contain_text("我局同意配合建设公交专用道"),
          typed=preview_follows("关于市政协十七届五次会议第88号提案的答复", "公交专用道"),
          result_class="A", class_basis="所提问题已经解决", reply_body=PROPOSAL_REPLY, publication="public",
          contact_person="李经办", contact_phone="0359-2345678")
    w.act("jtj_leader", "分管领导审核", leader_decision="approve")
    w.act("jtj_head", "主要领导签发", head_decision="approve", doc_prefix="交函", doc_serial="21")
    w.act("vice_mayor", "市政府分管领导审核", vm_decision="approve")
    w.act("office", "市政府办公室审核", solves_problem=True, communicated=True, result_class="A",
          office_decision="approve")
    w.act("cppcc_reviewer", "代表工委／提案委审核", reviewer_decision="approve")
    w.act("jtj_liaison", "签章送达答复函", signed_scan=SCAN, delivered_on=w.day(), delivery_method="platform")

    # the lead member and the co-signer each evaluate the reply
    w.act("member", "满意度测评", satisfaction="satisfied", evaluation_comment="专用道建成后公交快了。")
    w.act("cosigner", "满意度测评", satisfaction="basically", evaluation_comment="希望尽快扩展到更多道路。")
    page = w.item_page("member")
    expect(page.locator("[data-testid=item-progress] li[data-stage=测评]")).to_have_attribute("data-state", "done")
    w.shot(page, "member-item-evaluated")
    # the office sees both evaluations in the item's record
    page = w.item_page("office")
    history = page.locator("table.history")
    expect(history.locator("tr", has_text="专用道建成后公交快了。")).to_contain_text("满意")
    expect(history.locator("tr", has_text="希望尽快扩展到更多道路。")).to_contain_text("基本满意")
    w.shot(page, "office-item-evaluated")
