"""Expressions and scripts from diagrams, run in a restricted Python environment.

Process owners write expressions in the Camunda style: `${approved}` or `${deadline('handling')}`.
Inside `${…}` is a Python expression over the task data and the functions registered here; text
without `${…}` is a literal, as in Camunda (an assignee `zhangsan`, a due date `P7D`). Timer
definitions and sequence-flow conditions also accept a bare Python expression, as SpiffWorkflow does.

The environment exposes a short list of harmless builtins and the registered functions; names and
attributes starting with an underscore are refused, which closes the usual ways out of `eval`.
"""
import ast
import re
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Callable

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

from .. import clock
from ..clock import OFFICE_TZ  # dates and times written without a zone are the office's local time
from .errors import DeadlineError

# SpiffWorkflow reads a zone-less timer date in the server's zone; make timers agree with due dates.
_spiff_timer.LOCALTZ = OFFICE_TZ

REMINDER_TIME = time(9, 0)

_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)
_ISO_DURATION = re.compile(r"^R?\d*/?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_ISO_RECURRING = re.compile(r"^R\d*/.+$")
_LOOKS_ISO = re.compile(r"^(P\d|PT\d|R\d*/|\d{4}-)")

SAFE_BUILTINS = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in ("abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance",
                 "len", "list", "map", "max", "min", "range", "round", "set", "sorted", "str", "sum",
                 "tuple", "zip", "None", "True", "False")
}

# Functions available to every expression. Other modules add theirs with `expression_function`.
FUNCTIONS: dict[str, Callable] = {}


def expression_function(name: str | None = None):
    def register(fn):
        FUNCTIONS[name or fn.__name__] = fn
        return fn
    return register


def _now() -> datetime:
    return datetime.now(timezone.utc)


@expression_function("now")
def now_iso() -> str:
    """The current time as an ISO 8601 string (UTC)."""
    return _now().isoformat()


@expression_function("today")
def today_iso() -> str:
    return _now().astimezone(OFFICE_TZ).date().isoformat()


@expression_function()
def add_days(start: str, days: int) -> str:
    """Plain calendar days after an ISO date or time, with no working-day rule (for legal periods use
    `deadline` or the work-calendar functions below)."""
    value = datetime.fromisoformat(start) if "T" in start else date.fromisoformat(start)
    return (value + timedelta(days=days)).isoformat()


# --- the legal clock (webapp/clock): working days and named deadline rules ---

@expression_function()
def deadline(rule: str, start=None) -> str:
    """When the period of the named deadline rule runs out: the end of its last day (23:59:59 office
    time) as an ISO datetime, counted from `start` (a date or time; default today). For due dates and
    timers: `camunda:dueDate="${deadline('handling')}"`, `<bpmn:timeDate>${deadline('objection_window')}`."""
    return clock.current().deadline(rule, start).end_of_day().isoformat()


@expression_function()
def period(rule: str, start) -> dict:
    """A deadline kept as the rule and its start, not as a date: `${due_date(…)}` computes it each
    time, so when an administrator changes the rule or enters a year's holidays, recomputing open
    deadlines moves it. E.g. a script `due = period('handling', assigned_on)`, a due date
    `${due_date(due)}`. (A date written in a form stays a date: `due = end_of_day(approved_due)`.)"""
    return {"rule": rule, "from": str(start)}


@expression_function()
def due_date(value) -> str:
    """The ISO datetime of a deadline held as `period(...)` or already as a date/time string."""
    if isinstance(value, dict) and "rule" in value:
        return deadline(value["rule"], value["from"])
    return str(value)


@expression_function()
def deadline_before(rule: str, due) -> str:
    """The morning (09:00 office time) of the day the named rule's period lies before `due` (a date,
    or a `period(...)`), e.g. a reminder timer `${deadline_before('reminder_first', due)}`."""
    return clock.current().before(rule, due_date(due)).at(REMINDER_TIME).isoformat()


@expression_function()
def end_of_day(day) -> str:
    """The end of a day (23:59:59 office time) as an ISO datetime: a date typed in a form as a due
    date, e.g. an approved extension `${end_of_day(approved_due)}`."""
    return datetime.combine(date.fromisoformat(str(day)[:10]), time(23, 59, 59), OFFICE_TZ).isoformat()


@expression_function()
def add_workdays(start, n: int) -> str:
    """The N-th working day after `start` (start day excluded) as an ISO date."""
    return clock.current().calendar().add_workdays(start, n).isoformat()


@expression_function()
def add_months(start, n: int) -> str:
    """N months after `start` (corresponding day or month end; a rest day moves to the next working
    day) as an ISO date."""
    return clock.current().calendar().add_months(start, n).isoformat()


class ExpressionError(ValueError):
    pass


def is_wrapped(text: str | None) -> bool:
    return bool(text and _WRAPPED.match(text))


def unwrap(text: str) -> str:
    """`${expr}` -> `expr`; anything else unchanged."""
    m = _WRAPPED.match(text or "")
    return m.group(1).strip() if m else (text or "").strip()


def is_iso_literal(text: str) -> bool:
    t = text.strip()
    return bool(_ISO_DURATION.match(t.upper()) or _ISO_DATETIME.match(t) or _ISO_RECURRING.match(t.upper()))


def timer_expression(text: str) -> str:
    """The Python expression for a timer definition: ISO 8601 literals become string constants."""
    t = (text or "").strip()
    if is_wrapped(t):
        return unwrap(t)
    if is_iso_literal(t) or _LOOKS_ISO.match(t.upper()):
        return repr(t)  # a mistyped literal (P3X) stays a literal, so deploy rejects it
    return t


def check(expression: str) -> None:
    """Raise ExpressionError if the expression does not compile or reaches for private attributes."""
    _checked(expression)


@lru_cache(maxsize=4096)
def _checked(expression: str) -> ast.AST:
    try:
        tree = ast.parse(expression, mode="exec")
    except SyntaxError as e:
        raise ExpressionError(f"表达式无法编译：{expression!r}（{e.msg}，第 {e.lineno} 行）") from None
    for node in ast.walk(tree):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if name and name.startswith("_"):
            raise ExpressionError(f"表达式不允许使用以下划线开头的名称：{name}")
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)):
            raise ExpressionError("表达式和脚本不允许 import / global")
    return tree


class RestrictedEnvironment(TaskDataEnvironment):
    def __init__(self):
        super().__init__({"__builtins__": SAFE_BUILTINS, **FUNCTIONS})

    def evaluate(self, expression, context, external_context=None):
        _checked(expression)
        self.globals.update(FUNCTIONS)  # functions registered after start-up are seen too
        return super().evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        _checked(script)
        self.globals.update(FUNCTIONS)
        return super().execute(script, context, external_context)


class ScriptEngine(PythonScriptEngine):
    def __init__(self):
        super().__init__(environment=RestrictedEnvironment())

    def evaluate(self, task, expression, external_context=None):
        try:
            return super().evaluate(task, expression, external_context)
        except WorkflowTaskException as e:
            # A deadline that cannot be computed is the process owner's or the administrator's to fix:
            # say which element and why, in words a user can pass on.
            cause = e.__cause__ or e.__context__  # SpiffWorkflow raises its wrapper inside `except`
            if isinstance(cause, clock.CalendarError):
                spec = task.task_spec
                raise DeadlineError(f"“{spec.bpmn_name or spec.bpmn_id}”的期限无法计算：{cause}") from cause
            raise

    def validate(self, expression):
        # SpiffWorkflow's DMN engine calls this to tell `"a"` from `> 1000` and expects SyntaxError
        # for the latter; an ExpressionError there broke every rule written with an operator.
        ast.parse(expression)
        _checked(expression)

    def value(self, task, text: str | None):
        """Evaluate a Camunda-style attribute value: `${expr}` is evaluated, anything else is a literal."""
        if text is None:
            return None
        if is_wrapped(text):
            return self.evaluate(task, unwrap(text))
        return text


SCRIPT_ENGINE = ScriptEngine()
