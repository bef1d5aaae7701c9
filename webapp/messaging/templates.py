"""Notice texts as Jinja2 templates that administrators edit in the browser (/admin/templates).

A template has a name that diagrams use (`notify` with `template="reminder"`), a subject and a
body. They are rendered in a sandboxed Jinja2 environment: a template can read the variables it is
given and call the filters below, nothing else (no attributes starting with `_`, no unsafe calls).
A template that does not compile is refused with a Chinese message and nothing is saved; a variable
the template names but the diagram does not pass renders empty (the preview lists such names).
"""
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from sqlalchemy import select

from ..models import MessageTemplate, utcnow

OFFICE_TZ = ZoneInfo("Asia/Shanghai")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_NAMES = {"new", "preview"}  # the admin pages' own paths
SUBJECT_MAX = 300            # notifications.subject is String(300)
LABEL_MAX = 100
SOURCE_MAX = 20_000          # a notice, not a document


def cn_date(value) -> str:
    """2026-09-30, a date, or an ISO date-time (office time) -> 2026年9月30日; empty stays empty."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip()) if "T" in value or " " in value.strip() \
                else date.fromisoformat(value.strip()[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = (value.astimezone(OFFICE_TZ) if value.tzinfo else value).date()
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def item_kind(item_type) -> str:
    """'proposal' -> 提案, anything else -> 建议."""
    return "提案" if item_type == "proposal" else "建议"


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, plus limits on `*` and `**`, so a typo cannot make a text of a gigabyte."""
    intercepted_binops = frozenset(["*", "**"])
    MAX_LENGTH = 100_000

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("指数过大")
        if operator == "*":
            sequence, times = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
            if isinstance(sequence, (str, list, tuple)) and isinstance(times, int) \
                    and times * len(sequence) > self.MAX_LENGTH:
                raise SecurityError("重复次数过多")
        return super().call_binop(context, operator, left, right)


ENV = _Sandbox(autoescape=False, trim_blocks=True, lstrip_blocks=True)
ENV.filters["cn_date"] = cn_date
ENV.filters["item_kind"] = item_kind

# What a template can count on: the first three are filled in by `notify` itself, the rest come from
# the diagram's `variables` map (the procedure's diagrams use these names).
VARIABLES = [
    ("recipient", "接收人姓名（自动提供）"),
    ("business_key", "事项编号（自动提供）"),
    ("link", "事项页面链接（配置 APP_URL 后自动提供）"),
    ("title", "案由（建议、提案标题）"),
    ("item_type", "类型：suggestion 为人大代表建议，proposal 为政协提案（可写 {{ item_type | item_kind }}）"),
    ("unit_name", "承办单位名称"),
    ("due", "到期日（可写 {{ due | cn_date }} 显示为“2026年9月30日”）"),
    ("comment", "审核意见、退回意见等"),
    ("reason", "理由（如不予立案理由）"),
    ("result_class", "办理结果类别（A、B、C）"),
]

SAMPLE_VARIABLES = {
    "recipient": "张经办",
    "business_key": "JY-2026-0123",
    "link": "https://jytb.example.gov.cn/instances/123",
    "title": "关于加强城区停车管理的建议",
    "item_type": "suggestion",
    "unit_name": "市交通运输局",
    "due": "2026-09-30",
    "comment": "答复未逐条回应代表提出的三项具体建议，请补充完善后重新报送。",
    "reason": "所提事项属于司法机关职权范围，不宜作为建议立案。",
    "result_class": "B",
}


class TemplateError(Exception):
    """A template that cannot be saved or rendered; `problems` are Chinese sentences."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("；".join(self.problems))


@dataclass
class Rendered:
    subject: str
    body: str


def _syntax_message(part: str, error: TemplateSyntaxError) -> str:
    message = error.message or ""
    block = re.search(r"innermost block that needs to be closed is '(\w+)'", message)
    if m := re.match(r"No (filter|test) named '([^']*)'", message):
        detail = f"没有名为“{m.group(2)}”的{'过滤器' if m.group(1) == 'filter' else '测试'}"
    elif "expected 'end of print statement'" in message:
        detail = "{{ 没有配对的 }}"
    elif "expected 'end of statement block'" in message:
        detail = "{% 没有配对的 %}"
    elif message.lower().startswith("unexpected end of template"):
        closing = f"{{% end{block.group(1)} %}}" if block else "{% endif %} 或 {% endfor %}"
        detail = f"模板意外结束，缺少 {closing}"
    elif m := re.match(r"Encountered unknown tag '([^']*)'", message):
        detail = f"未知的标签“{m.group(1)}”" + (f"（此处应先用 {{% end{block.group(1)} %}} 结束 {block.group(1)}）"
                                             if block else "，或与之配对的开始标签缺失")
    elif message.startswith("Expected an expression"):
        detail = "此处缺少表达式（如 {% if due %} 中的 due）"
    elif m := re.match(r"expected token '[^']*', got '([^']*)'", message):
        detail = f"此处不应出现“{m.group(1)}”（两个变量之间缺少运算符或过滤器？）"
    elif m := re.match(r"unexpected '([^']*)'", message):
        detail = f"此处不应出现“{m.group(1)}”，请检查 {{{{ }}}} 和 {{% %}} 是否成对"
    else:
        detail = f"语法错误（{message}）"
    return f"{part}模板第 {error.lineno} 行：{detail}。"


def check(subject: str, body: str, label: str | None = None) -> list[str]:
    """Chinese problems of a template pair, empty when it can be saved."""
    problems = []
    if label is not None:
        if not label.strip():
            problems.append("请填写模板的中文名称。")
        elif len(label.strip()) > LABEL_MAX:
            problems.append(f"中文名称不能超过 {LABEL_MAX} 字。")
    if not (subject or "").strip():
        problems.append("标题模板不能为空。")
    for part, source in (("标题", subject or ""), ("正文", body or "")):
        if len(source) > SOURCE_MAX:
            problems.append(f"{part}模板不能超过 {SOURCE_MAX} 字。")
            continue
        try:
            ENV.from_string(source)
        except TemplateSyntaxError as e:
            problems.append(_syntax_message(part, e))
            continue
        private = sorted({n.attr for n in ENV.parse(source).find_all(nodes.Getattr) if n.attr.startswith("_")})
        if private:
            problems.append(f"{part}模板不能访问以下划线开头的属性（{'、'.join(private)}）。")
    return problems


def _render_one(part: str, source: str, variables: dict) -> str:
    try:
        return ENV.from_string(source).render(variables)
    except TemplateSyntaxError as e:
        raise TemplateError(_syntax_message(part, e)) from e
    except SecurityError as e:
        raise TemplateError(f"{part}模板使用了不允许的写法（{str(e).rstrip('.。')}）。") from e
    except Exception as e:  # noqa: BLE001 - e.g. a filter applied to a value of the wrong kind
        raise TemplateError(f"{part}模板无法生成：{type(e).__name__}: {str(e).rstrip('.。')}。") from e


def render(subject: str, body: str, variables: dict) -> Rendered:
    """The notice's subject (one line, at most 300 characters) and body for these variables."""
    text = _render_one("标题", subject, variables)
    return Rendered(subject=" ".join(text.split())[:SUBJECT_MAX],
                    body=_render_one("正文", body or "", variables).strip())


def unknown_variables(subject: str, body: str, variables: dict) -> list[str]:
    """The names the templates use that `variables` lacks (rendered empty): a hint, not an error."""
    names = set()
    for source in (subject or "", body or ""):
        try:
            names |= meta.find_undeclared_variables(ENV.parse(source))
        except TemplateSyntaxError:
            continue
    return sorted(n for n in names if n not in variables and n not in ENV.globals)


def _source(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


# --- stored templates ----------------------------------------------------------------------------------

def all_templates(db) -> list[MessageTemplate]:
    with db.read() as session:
        return list(session.scalars(select(MessageTemplate).order_by(MessageTemplate.id)))


def get_template(db, name: str) -> MessageTemplate | None:
    with db.read() as session:
        return session.scalar(select(MessageTemplate).where(MessageTemplate.name == name))


def save_template(db, name: str, label: str, subject: str, body: str, by: str | None,
                  create: bool = False) -> MessageTemplate:
    """Change a template (or add one when `create`); raises TemplateError and saves nothing when the
    name, the label or either template is not valid."""
    problems = []
    if create and (not NAME_PATTERN.match(name or "") or name in RESERVED_NAMES):
        problems.append("模板代码应以小写字母开头，只含小写字母、数字和下划线，不超过 64 个字符"
                        f"（不能是 {'、'.join(sorted(RESERVED_NAMES))}）。")
    problems += check(subject, body, label)
    if not problems:  # a trial with the sample values catches what only rendering finds (unsafe access)
        try:
            render(subject, body, SAMPLE_VARIABLES)
        except TemplateError as e:
            problems += e.problems
    if problems:
        raise TemplateError(problems)
    with db.write() as session:
        row = session.scalar(select(MessageTemplate).where(MessageTemplate.name == name))
        if create and row is not None:
            raise TemplateError(f"模板代码“{name}”已存在。")
        if not create and row is None:
            raise TemplateError(f"通知模板“{name}”不存在。")
        if row is None:
            row = MessageTemplate(name=name)
            session.add(row)
        row.label, row.subject, row.body = label.strip(), _source(subject), _source(body)
        row.updated_by, row.updated_at = by, utcnow()
        session.flush()
        session.expunge(row)
        return row
