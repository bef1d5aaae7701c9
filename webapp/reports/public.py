"""复文公开 (PROCESS.md §3.11, 临沧 三(六) 谁主办、谁答复、谁公开): the published replies, free of Flask.

A reply is published when its unit completed the step 复文公开 (`publish_reply` in
bpmn/unit_handling.bpmn, reached only for replies marked 主动公开) and the proposer did not withhold
consent to publication (`items.publication_consent`). All of it is read from the task index: the
publication is the completed `publish_reply` row of the unit, the text the reply its 主要领导 signed
(the last completed `head_sign` of that unit before publication: its form shows the reply body, a
text id for long replies). No workflow is loaded.

Personal contact details never reach the public: `public_text` removes the 附注 contact line
(“（联系人：×××，联系电话：×××）”), phone and mobile numbers, e-mail addresses and ID numbers.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, or_, select

from ..clock import OFFICE_TZ
from ..items.numbering import item_label
from ..items.queries import _NUMBER, _escape_like
from ..models import HumanTask, Instance, Item, TextBlob, Unit

PUBLISHED = "publish_reply"   # the unit's step 复文公开
SIGNED = "head_sign"          # 主要领导签发: its form carries the reply body as signed
PAGE_SIZE = 20
EXCERPT = 120
HIDDEN = "＊＊＊"

# A line that is (or starts with) contact data: the letter's 附注, 联系人, 联系电话…
_CONTACT_LINE = re.compile(r"^[ \t\u3000]*(?:附\s*注|[（(]?\s*(?:联系人|联系电话|联系方式|联系地址|手机|电子邮箱|邮箱))"
                           r"\s*[：:].*$", re.MULTILINE)
# A bracketed contact remark inside a line: （联系人：李四，联系电话：0359-2345678）
_CONTACT_BRACKETS = re.compile(r"[（(][^（）()\n]*(?:联系人|联系电话|联系方式|手机)[^（）()\n]*[）)]")
_ID_NUMBER = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])[（(]?0\d{2,3}[）)]?[-－—\s]?\d{7,8}(?:\s*(?:-|转)\s*\d{1,6})?(?![0-9])")
_LABELLED_NUMBER = re.compile(r"((?:联系)?电话|手机|传真|热线电话)(\s*[：:]?\s*)\d[\d\-－—\s]{4,}\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def public_text(text: str) -> str:
    """The reply as the public may read it: without contact lines, phone numbers, e-mails, ID numbers."""
    text = _CONTACT_LINE.sub("", text or "")
    text = _CONTACT_BRACKETS.sub("", text)
    text = _ID_NUMBER.sub(HIDDEN, text)
    text = _MOBILE.sub(HIDDEN, text)
    text = _LANDLINE.sub(HIDDEN, text)
    text = _LABELLED_NUMBER.sub(lambda m: m.group(1) + m.group(2) + HIDDEN, text)
    text = _EMAIL.sub(HIDDEN, text)
    text = re.sub(r"[ \t\u3000]+$", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@dataclass
class PublicReply:
    id: int                 # the publish_reply task's id: the reply's address on the public page
    instance_id: int
    unit_id: int | None
    unit_name: str
    published_at: datetime
    label: str              # 人大建议 十七届五次 第0123号
    title: str
    text: str = ""          # contact details removed

    @property
    def published_on(self) -> date:
        return self.published_at.astimezone(OFFICE_TZ).date()

    @property
    def excerpt(self) -> str:
        flat = " ".join(self.text.split())
        return flat if len(flat) <= EXCERPT else flat[:EXCERPT] + "…"


@dataclass
class PublicFilters:
    q: str = ""       # number (123, 第0123号), words of the title, or of the unit's name
    unit: str = ""    # unit id
    year: str = ""    # the year the reply was published
    page: int = 1

    @property
    def active(self) -> bool:
        return bool(self.q or self.unit or self.year)


def _published():
    return (select(HumanTask.id, HumanTask.instance_id, HumanTask.unit_id, Unit.name, HumanTask.completed_at,
                   Item.item_type, Item.session, Item.item_no, Item.title)
            .join(Item, Item.instance_id == HumanTask.instance_id)
            .join(Instance, Instance.id == HumanTask.instance_id)
            .outerjoin(Unit, Unit.id == HumanTask.unit_id)
            .where(HumanTask.element_id == PUBLISHED, HumanTask.status == "completed",
                   HumanTask.completed_at.is_not(None), Item.publication_consent.is_(True),
                   Instance.status != "cancelled"))


def _reply(row) -> PublicReply:
    task_id, instance_id, unit_id, unit_name, completed_at, item_type, item_session, item_no, title = row
    return PublicReply(task_id, instance_id, unit_id, unit_name or "", completed_at,
                       item_label(item_type, item_session, item_no), title)


def find_published(session, filters: PublicFilters, page_size: int = PAGE_SIZE) -> tuple[list[PublicReply], bool]:
    """One page of published replies, newest first, with their texts (three queries)."""
    query = _published()
    if filters.q:
        like = "%" + _escape_like(filters.q) + "%"
        matches = [Item.title.ilike(like, escape="\\"), Unit.name.ilike(like, escape="\\")]
        number = _NUMBER.fullmatch(filters.q)
        if number:
            matches.append(Item.item_no == int(number.group(1)))
        query = query.where(or_(*matches))
    if filters.unit.isdigit():
        query = query.where(HumanTask.unit_id == int(filters.unit))
    if filters.year.isdigit() and 1900 < int(filters.year) < 3000:
        year = int(filters.year)
        query = query.where(HumanTask.completed_at >= datetime.combine(date(year, 1, 1), time(), OFFICE_TZ),
                            HumanTask.completed_at < datetime.combine(date(year + 1, 1, 1), time(), OFFICE_TZ))
    page = max(filters.page, 1)
    rows = session.execute(query.order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
                           .offset((page - 1) * page_size).limit(page_size + 1)).all()
    replies = [_reply(r) for r in rows[:page_size]]
    _attach_texts(session, replies)
    return replies, len(rows) > page_size


def published_reply(session, reply_id: int) -> PublicReply | None:
    row = session.execute(_published().where(HumanTask.id == reply_id)).first()
    if row is None:
        return None
    reply = _reply(row)
    _attach_texts(session, [reply])
    return reply


def _attach_texts(session, replies: list[PublicReply]) -> None:
    """Each reply's signed text (two queries for the whole page), cleaned for the public."""
    if not replies:
        return
    signed: dict[tuple, list] = {}
    for instance_id, unit_id, form_data, completed_at in session.execute(
            select(HumanTask.instance_id, HumanTask.unit_id, HumanTask.form_data, HumanTask.completed_at)
            .where(HumanTask.element_id == SIGNED, HumanTask.status == "completed",
                   HumanTask.instance_id.in_(sorted({r.instance_id for r in replies})))
            .order_by(HumanTask.completed_at, HumanTask.id)):
        signed.setdefault((instance_id, unit_id), []).append((completed_at, (form_data or {}).get("reply_view")))
    chosen = {}
    for reply in replies:
        before = [value for at, value in signed.get((reply.instance_id, reply.unit_id), [])
                  if at is not None and at <= reply.published_at]
        chosen[reply.id] = before[-1] if before else None
    text_ids = sorted({v["text_id"] for v in chosen.values() if isinstance(v, dict) and "text_id" in v})
    texts = dict(session.execute(select(TextBlob.id, TextBlob.content).where(TextBlob.id.in_(text_ids))).all()) \
        if text_ids else {}
    for reply in replies:
        value = chosen[reply.id]
        raw = texts.get(value.get("text_id"), "") if isinstance(value, dict) else str(value or "")
        reply.text = public_text(raw)


def publishing_units(session) -> list[tuple[int, str]]:
    """The units with published replies (for the search form), by name."""
    published = _published().subquery()
    return [tuple(r) for r in session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(select(published.c.unit_id))).order_by(Unit.name))]


def publication_years(session) -> list[int]:
    """The years replies were published in (office time), newest first."""
    published = _published().subquery()
    first, last = session.execute(select(func.min(published.c.completed_at), func.max(published.c.completed_at))).one()
    if first is None:
        return []
    return list(range(last.astimezone(OFFICE_TZ).year, first.astimezone(OFFICE_TZ).year - 1, -1))
