"""Task forms from `camunda:formData`: field definitions, the field types we support, and validation.

Validation is done here, not in the web layer, so every way of completing a task (browser, API,
tests) is checked against the same definitions. Messages are in Chinese because users read them.

Field types (`type` attribute of `camunda:formField`):
    string    single-line text                    long      whole number
    boolean   yes/no checkbox                     date      calendar date (YYYY-MM-DD)
    enum      choice among `camunda:value`s       textarea  multi-line text (long texts stored apart)
    file      one uploaded file                   unit      one handling unit (picker), by unit code
    units     several units (multi-select), a list of unit codes

Validation constraints (`camunda:validation/camunda:constraint`):
    required, required_if (config "field=value" or "field=v1|v2": required when that field has one of
    those values, e.g. a reason when the decision is "return"), readonly, minlength, maxlength, min, max (numbers, or dates for date fields),
    pattern (a regular expression the whole value must match), maxsize (bytes, file fields),
    accept (comma-separated file extensions, e.g. ".pdf,.docx").

Field properties (`camunda:properties/camunda:property`) are hints for the page:
    placeholder, help, rows (textarea height).
"""
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterable

FIELD_TYPES = ("string", "long", "boolean", "date", "enum", "textarea", "file", "unit", "units")
CONSTRAINTS = ("required", "required_if", "readonly", "minlength", "maxlength", "min", "max", "pattern", "maxsize", "accept")
# Constraints whose config must be an integer / a number / a date for a field of the given type.
_INT_CONSTRAINTS = ("minlength", "maxlength", "maxsize")


@dataclass
class FormField:
    id: str
    label: str
    type: str
    default: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    constraints: dict[str, str | None] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return "required" in self.constraints

    @property
    def readonly(self) -> bool:
        return "readonly" in self.constraints


@dataclass
class Form:
    fields: list[FormField] = field(default_factory=list)

    def field(self, field_id: str) -> FormField | None:
        return next((f for f in self.fields if f.id == field_id), None)


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


class FormErrors(Exception):
    """Raised with a message per field id when a submission does not satisfy the form."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def definition_problems(form: Form) -> list[tuple[str, str]]:
    """Problems with the form definition itself, as (field id, reason) pairs, for deploy to refuse."""
    problems = []
    seen = set()
    for f in form.fields:
        if not f.id or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", f.id):
            problems.append((f.id or "?", f"字段标识“{f.id}”不是合法的变量名"))
        if f.id in seen:
            problems.append((f.id, f"字段标识“{f.id}”重复"))
        seen.add(f.id)
        if f.type not in FIELD_TYPES:
            problems.append((f.id, f"未知的表单字段类型“{f.type}”（支持：{'、'.join(FIELD_TYPES)}）"))
            continue
        if f.type == "enum" and not f.options:
            problems.append((f.id, "枚举字段没有任何选项"))
        for name, config in f.constraints.items():
            if name not in CONSTRAINTS:
                problems.append((f.id, f"未知的校验约束“{name}”（支持：{'、'.join(CONSTRAINTS)}）"))
                continue
            problem = _constraint_config_problem(f, name, config)
            if problem:
                problems.append((f.id, problem))
    return problems


def _constraint_config_problem(f: FormField, name: str, config: str | None) -> str | None:
    if name in ("required", "readonly"):
        return None
    if config is None or config == "":
        return f"约束“{name}”缺少参数"
    if name in _INT_CONSTRAINTS:
        return None if config.isdigit() else f"约束“{name}”的参数应为非负整数"
    if name in ("min", "max"):
        if f.type == "date":
            try:
                date.fromisoformat(config)
            except ValueError:
                return f"约束“{name}”的参数应为日期（YYYY-MM-DD）"
            return None
        try:
            float(config)
        except ValueError:
            return f"约束“{name}”的参数应为数字"
        return None
    if name == "required_if":
        other, eq, _value = config.partition("=")
        return None if eq and other.strip() else "约束“required_if”的参数应写成“字段=值”"
    if name == "pattern":
        try:
            re.compile(config)
        except re.error as e:
            return f"约束“pattern”不是合法的正则表达式：{e}"
    return None


def validate(form: Form, submitted: dict, current: dict | None = None,
             unit_codes: Callable[[], Iterable[str]] | None = None) -> dict:
    """Check a submission against the form; return the typed values, or raise FormErrors.

    `submitted` maps field ids to raw values as a browser sends them (strings, lists of strings for
    multi-selects, UploadedFile for files). Read-only fields keep their current value whatever was sent.
    """
    current = current or {}
    values, errors = {}, {}
    known_units = None
    for f in form.fields:
        if f.readonly:
            if f.id in current:
                values[f.id] = current[f.id]
            continue
        raw = submitted.get(f.id)
        try:
            value = _convert(f, raw)
            if f.type == "file" and value is None and current.get(f.id):
                values[f.id] = current[f.id]  # no new upload: the file already there stays
                continue
            if value is None or value == [] or value == "":
                if f.required or _required_now(f, submitted, current):
                    raise ValueError("此项为必填项")
                values[f.id] = None if f.type not in ("units",) else []
                continue
            _check_constraints(f, value)
            if f.type in ("unit", "units"):
                if known_units is None:
                    known_units = set(unit_codes()) if unit_codes else None
                chosen = [value] if f.type == "unit" else value
                unknown = [c for c in chosen if known_units is not None and c not in known_units]
                if unknown:
                    raise ValueError(f"未知的单位：{'、'.join(unknown)}")
            values[f.id] = value
        except ValueError as e:
            errors[f.id] = str(e)
    if errors:
        raise FormErrors(errors)
    return values


def _required_now(f: FormField, submitted: dict, current: dict) -> bool:
    condition = f.constraints.get("required_if")
    if not condition:
        return False
    other, _, wanted = condition.partition("=")
    value = submitted.get(other.strip(), current.get(other.strip()))
    return str(value if value is not None else "").strip() in [w.strip() for w in wanted.split("|")]


def _convert(f: FormField, raw):
    if f.type == "boolean":
        if isinstance(raw, bool):
            return raw
        if raw in (None, "", "false", "0", "off", "no"):
            return False
        if raw in ("true", "1", "on", "yes"):
            return True
        raise ValueError("请选择“是”或“否”")
    if f.type == "file":
        if raw is None or (isinstance(raw, UploadedFile) and not raw.filename):
            return None
        if not isinstance(raw, UploadedFile):
            raise ValueError("请上传文件")
        return raw
    if f.type == "units":
        if raw is None:
            return []
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        return [str(i).strip() for i in items if str(i).strip()]
    if isinstance(raw, (list, tuple)):
        raw = raw[0] if raw else None
    if raw is None:
        return None
    if f.type == "long" and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip() if f.type != "textarea" else str(raw).replace("\r\n", "\n").strip()
    if text == "":
        return None
    if f.type == "long":
        if not re.fullmatch(r"[-+]?\d+", text):
            raise ValueError("请输入整数")
        return int(text)
    if f.type == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("请输入有效日期（格式：2026-01-31）") from None
    if f.type == "enum":
        ids = [o[0] for o in f.options]
        if text not in ids:
            raise ValueError("请从列表中选择")
        return text
    return text


def _check_constraints(f: FormField, value) -> None:
    c = f.constraints
    if f.type in ("string", "textarea"):
        if "minlength" in c and len(value) < int(c["minlength"]):
            raise ValueError(f"至少输入 {c['minlength']} 个字")
        if "maxlength" in c and len(value) > int(c["maxlength"]):
            raise ValueError(f"最多输入 {c['maxlength']} 个字（当前 {len(value)} 个）")
        if "pattern" in c and not re.fullmatch(c["pattern"], value):
            hint = f.properties.get("patternHint") or "格式不正确"
            raise ValueError(hint)
    if f.type == "long":
        if "min" in c and value < float(c["min"]):
            raise ValueError(f"不能小于 {c['min']}")
        if "max" in c and value > float(c["max"]):
            raise ValueError(f"不能大于 {c['max']}")
    if f.type == "date":
        if "min" in c and value < c["min"]:
            raise ValueError(f"不能早于 {c['min']}")
        if "max" in c and value > c["max"]:
            raise ValueError(f"不能晚于 {c['max']}")
    if f.type == "file":
        if "maxsize" in c and len(value.data) > int(c["maxsize"]):
            limit, size = _human_size(int(c["maxsize"])), _human_size(len(value.data))
            if limit == size:  # just over the limit: rounded sizes would read "1 KB, file 1 KB"
                limit, size = f"{int(c['maxsize'])} 字节", f"{len(value.data)} 字节"
            raise ValueError(f"文件过大：上限 {limit}，所传文件 {size}")
        if "accept" in c:
            allowed = [e.strip().lower() for e in c["accept"].split(",") if e.strip()]
            if not any(value.filename.lower().endswith(e) for e in allowed):
                raise ValueError(f"只接受以下类型的文件：{'、'.join(allowed)}")
    if f.type == "units":
        if "minlength" in c and len(value) < int(c["minlength"]):
            raise ValueError(f"至少选择 {c['minlength']} 个单位")
        if "maxlength" in c and len(value) > int(c["maxlength"]):
            raise ValueError(f"最多选择 {c['maxlength']} 个单位")


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} 字节"
