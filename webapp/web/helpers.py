"""Small helpers shared by the views: engine access, safe redirects and Jinja filters."""
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from ..clock import CalendarError
from ..clock.calendar import as_date
from ..engine.runtime import OFFICE_TZ, STATUS_LABELS
from ..items.numbering import key_label
from ..models import utcnow

DUE_SOON_WORKDAYS = 3  # due within this many working days: shown as 即将到期


def get_engine():
    return current_app.extensions["engine"]


def get_settings():
    return current_app.extensions["settings"]


def actor():
    """The logged-in User itself (not Flask-Login's proxy), for passing to the engine."""
    return current_user._get_current_object()


def restrict(blueprint, allowed, message) -> None:
    """Refuse every page of `blueprint` to signed-in users for whom `allowed(user)` is false: 403 with
    `message` (a string, or a function of the endpoint). Visitors not signed in are left to the login
    check, which runs first and redirects."""
    @blueprint.before_request
    def _restricted():
        user = actor()
        if getattr(user, "is_authenticated", False) and not allowed(user):
            abort(403, description=message(request.endpoint or "") if callable(message) else message)


def is_safe_target(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def redirect_back(default_endpoint: str, **values):
    """Redirect to the form's or query's `next` if it is a local path, else to the default page."""
    target = request.form.get("next") or request.args.get("next")
    if is_safe_target(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))


# --- formatting -------------------------------------------------------------------------------------

def format_datetime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Aware datetimes shown in office time (Asia/Shanghai), e.g. 2026-11-30 17:00."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        return value.strftime(fmt)
    return value.astimezone(OFFICE_TZ).strftime(fmt)


@dataclass(frozen=True)
class DueInfo:
    """A due date as the user sees it: the working days left (negative: overdue) in office time."""
    state: str          # 'overdue', 'soon' or ''
    days: int | None    # None when the calendar could not count (the date alone is shown)
    provisional: bool = False
    due_today: bool = False

    @property
    def label(self) -> str:
        if self.days is None:
            return "已超期" if self.state == "overdue" else ""
        if self.days < 0:
            return f"已超期 {-self.days} 个工作日"
        if self.state == "overdue":
            return "已超期"
        if self.due_today:
            return "今天到期"
        left = f"剩余 {self.days} 个工作日"
        return f"即将到期 · {left}" if self.state == "soon" else left


def _request_clock():
    """The work calendar and today's date, read once per request and shared by every row."""
    cached = g.get("_due_clock")
    if cached is None:
        clock = get_engine().clock
        cached = g._due_clock = (clock.calendar(), clock.today())
    return cached


def due_info(value, now=None) -> DueInfo | None:
    """The working days from today (office time) to a due date, and its overdue / due-soon state."""
    if value is None:
        return None
    now = now or utcnow()
    calendar, today = _request_clock()
    try:
        count = calendar.workdays_between(today, value)
    except CalendarError:  # a date too far off to count: fall back to the moment alone
        return DueInfo("overdue" if value < now else "", None)
    if value < now and count.days >= 0:
        state = "overdue"  # due earlier today (a due time before the end of the day)
    elif count.days < 0:
        state = "overdue"
    elif count.days <= DUE_SOON_WORKDAYS:
        state = "soon"
    else:
        state = ""
    return DueInfo(state, count.days, count.provisional, as_date(value) == today)


def due_state(value, now=None) -> str:
    """'overdue', 'soon' (within three working days) or '' for a due date."""
    info = due_info(value, now)
    return info.state if info else ""


def priority_label(value) -> str:
    if value is None:
        return "普通"
    if value > 50:
        return "高"
    if value < 50:
        return "低"
    return "普通"


def status_label(value) -> str:
    return STATUS_LABELS.get(value, value or "—")


def file_size(n) -> str:
    if n is None:
        return ""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} 字节"


def is_text_ref(value) -> bool:
    return isinstance(value, dict) and "text_id" in value


def is_file_ref(value) -> bool:
    return isinstance(value, dict) and "file_id" in value


def render_value(value, labels: dict | None = None) -> Markup:
    """Readable HTML for a stored value: yes/no, text and file references as links, nested data as lists."""
    if value is None or value == "" or value == []:
        return Markup('<span class="muted">—</span>')
    if isinstance(value, bool):
        return Markup("是" if value else "否")
    if is_file_ref(value):
        url = url_for("attachments.download", file_id=value["file_id"])
        return Markup('<a href="{}">{}</a> <span class="muted">({})</span>').format(
            url, value.get("filename") or "文件", file_size(value.get("size")))
    if is_text_ref(value):
        url = url_for("attachments.text", text_id=value["text_id"])
        return Markup('{}… <a href="{}">查看全文（{} 字）</a>').format(
            value.get("preview", ""), url, value.get("length", ""))
    if isinstance(value, dict):
        labels = labels or {}
        items = Markup("").join(
            Markup("<li><span class=\"kv-key\">{}</span>：{}</li>").format(labels.get(k, k), render_value(v))
            for k, v in value.items())
        return Markup('<ul class="kv">{}</ul>').format(items)
    if isinstance(value, (list, tuple)):
        return Markup("、").join(render_value(v) for v in value)
    return escape(str(value))


def register_filters(app):
    app.add_template_filter(format_datetime, "dt")
    app.add_template_filter(due_state, "due_state")
    app.add_template_filter(due_info, "due_info")
    app.add_template_filter(priority_label, "priority_label")
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(file_size, "filesize")
    app.add_template_filter(render_value, "value")
    app.add_template_filter(key_label, "key_label")
