"""Deploy-time checks: everything that could not run is refused with file, element id and reason.

`check_definitions` parses a complete set of BPMN and DMN files with the dialect parser and walks
every executable process. It never stops at the first problem: a process owner sees all of them.
"""
import ast
import re
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.camunda.specs.user_task import UserTask

from service_tasks import TOPICS

from . import expressions
from .dialect import DialectParser, ExternalServiceTask
from .errors import Problem
from .forms import definition_problems

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SUPPORTED_HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")


@dataclass
class DefinitionSource:
    kind: str  # bpmn | dmn
    filename: str
    content: str


def check_definitions(sources: list[DefinitionSource]) -> tuple[DialectParser, list[Problem]]:
    parser = DialectParser(validator=BpmnValidator())
    problems: list[Problem] = []
    for src in sorted(sources, key=lambda s: s.kind != "dmn"):  # decisions first: tasks refer to them
        try:
            root = etree.fromstring(src.content.encode("utf-8"))
        except etree.XMLSyntaxError as e:
            problems.append(Problem(src.filename, None, f"XML 格式错误：{e}"))
            continue
        if src.kind == "dmn":
            problems.extend(_check_dmn(parser, root, src.filename))
        else:
            problems.extend(_add_bpmn(parser, root, src.filename))
    if any(p for p in problems if p.element_id is None):
        return parser, problems  # files that could not be read at all: the rest would only echo them
    known_processes = set(parser.process_parsers)
    checked = set()
    # Parsing a process registers its embedded sub-processes as further parsers: check those too.
    while pending := [(pid, pp) for pid, pp in parser.process_parsers.items() if pid not in checked]:
        process_id, process_parser = pending[0]
        checked.add(process_id)
        if not process_parser.process_executable:
            continue
        filename = process_parser.filename
        for call in process_parser.xpath(".//bpmn:callActivity"):
            called = call.get("calledElement")
            if not called or called not in known_processes:
                problems.append(Problem(filename, call.get("id"), f"调用的流程“{called or '（未填写）'}”不存在"))
        try:
            spec = process_parser.get_spec()
        except ValidationException as e:
            problems.append(_problem_from(e, filename))
            continue
        except Exception as e:  # a parser crash is still a refusal, never a half deployment
            problems.append(Problem(filename, process_id, f"无法解析：{e}"))
            continue
        for task_spec in spec.task_specs.values():
            problems.extend(Problem(filename, getattr(task_spec, "bpmn_id", None) or task_spec.name, reason)
                            for reason in _task_spec_problems(task_spec))
    return parser, _unique(problems)


_RULE_CALL = re.compile(r"""\b(deadline|deadline_before|period)\(\s*['"]([^'"]+)['"]""")


def rule_reference_problems(sources: list[DefinitionSource], known_rules: set[str]) -> list[Problem]:
    """Named deadline rules that diagrams call (`deadline('handling')`) but that do not exist."""
    problems = []
    for src in sources:
        if src.kind != "bpmn" or ("deadline" not in src.content and "period" not in src.content):
            continue
        try:
            root = etree.fromstring(src.content.encode("utf-8"))
        except etree.XMLSyntaxError:
            continue  # reported by check_definitions
        for element in root.iter():
            texts = [element.text or "", *element.attrib.values()]
            for _function, name in (m.groups() for t in texts for m in _RULE_CALL.finditer(t)):
                if name not in known_rules:
                    owner = next((e for e in element.iterancestors() if e.get("id")), None) \
                        if element.get("id") is None else element
                    problems.append(Problem(src.filename, owner.get("id") if owner is not None else None,
                                            f"期限规则“{name}”不存在（已有：{'、'.join(sorted(known_rules))}）"))
    return _unique(problems)


def _add_bpmn(parser, root, filename) -> list[Problem]:
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return [Problem(filename, None, "不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）")]
    try:
        parser.add_bpmn_xml(root, filename=filename)
    except ValidationException as e:
        return [_problem_from(e, filename, whole_file=True)]
    return []


def _check_dmn(parser, root, filename) -> list[Problem]:
    ns = root.nsmap.get(None) or root.nsmap.get("dmn")
    decisions = root.findall(f"{{{ns}}}decision")
    if len(decisions) != 1:
        return [Problem(filename, None, f"每个 DMN 文件只能包含一个决策（本文件有 {len(decisions)} 个）")]
    decision = decisions[0]
    problems = []
    tables = decision.findall(f"{{{ns}}}decisionTable")
    if len(tables) != 1:
        problems.append(Problem(filename, decision.get("id"), "决策必须包含且只包含一张决策表"))
    for table in tables:
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in SUPPORTED_HIT_POLICIES:
            problems.append(Problem(filename, decision.get("id"),
                                    f"不支持的命中策略“{policy}”（支持：{'、'.join(SUPPORTED_HIT_POLICIES)}）"))
        if table.get("aggregation"):
            problems.append(Problem(filename, decision.get("id"), "不支持 COLLECT 的聚合（aggregation）"))
        problems.extend(_dmn_expression_problems(table, ns, filename, decision.get("id")))
    if problems:
        return problems
    try:
        parser.add_dmn_xml(root, filename=filename)
        parser.dmn_parsers[decision.get("id")].parse()
    except ValidationException as e:
        return [_problem_from(e, filename)]
    except Exception as e:
        return [Problem(filename, decision.get("id"), f"决策表无法解析：{e}")]
    return []


def _dmn_expression_problems(table, ns, filename, decision_id) -> list[Problem]:
    problems = []
    for node in table.iter(f"{{{ns}}}inputExpression"):
        text = node.findtext(f"{{{ns}}}text")
        if text and not _compiles(text):
            problems.append(Problem(filename, decision_id, f"输入表达式无法编译：{text}"))
    for rule in table.findall(f"{{{ns}}}rule"):
        for entry in rule.findall(f"{{{ns}}}inputEntry"):
            text = (entry.findtext(f"{{{ns}}}text") or "").strip()
            if text and text != "-" and not (_compiles(text) or _compiles(f"v {text}")):
                problems.append(Problem(filename, rule.get("id") or decision_id, f"规则条件无法编译：{text}"))
        for entry in rule.findall(f"{{{ns}}}outputEntry"):
            text = (entry.findtext(f"{{{ns}}}text") or "").strip()
            if text and not _compiles(text):
                problems.append(Problem(filename, rule.get("id") or decision_id, f"规则结果无法编译：{text}"))
    return problems


def _task_spec_problems(task_spec) -> list[str]:
    problems = []
    ext = getattr(task_spec, "extensions", None)
    if isinstance(task_spec, UserTask):
        problems.extend(f"表单字段 {fid}：{reason}" for fid, reason in definition_problems(task_spec.form))
        reserved = set(expressions.FUNCTIONS) | set(expressions.SAFE_BUILTINS)
        problems.extend(f"表单字段 {f.id}：与表达式函数“{f.id}”同名，请换一个字段标识"
                        for f in task_spec.form.fields if f.id in reserved)
        for label, value in (("办理人", ext.assignee), ("候选人", ext.candidate_users),
                             ("候选组", ext.candidate_groups), ("优先级", ext.priority)):
            problems.extend(_value_problems(label, value))
        for label, value in (("到期时间", ext.due_date), ("跟进时间", ext.follow_up_date)):
            problems.extend(_value_problems(label, value))
            if value and not expressions.is_wrapped(value) and not expressions.is_iso_literal(value):
                problems.append(f"{label}“{value}”既不是 ISO 8601 日期/期间，也不是 ${{表达式}}")
        if ext.priority and not expressions.is_wrapped(ext.priority) and not ext.priority.strip().isdigit():
            problems.append(f"优先级“{ext.priority}”应为整数或 ${{表达式}}")
        problems.extend(_letter_preview_problems(task_spec, ext.properties.get("letter_preview")))
    if isinstance(task_spec, ExternalServiceTask):
        problems.extend(_service_task_problems(ext))
    if isinstance(task_spec, ScriptTask):
        problems.extend(_code_problems("脚本", task_spec.script))
    for condition, _target in getattr(task_spec, "cond_task_specs", []):
        if condition is not None:
            problems.extend(_code_problems("流转条件", condition.args[0]))
    if isinstance(task_spec, CatchingEvent):
        problems.extend(_timer_problems(task_spec.event_definition))
    if isinstance(task_spec, LoopTask):
        for label in ("cardinality", "condition"):
            value = getattr(task_spec, label, None)
            if isinstance(value, str):
                problems.extend(_code_problems("多实例" + label, expressions.unwrap(value)))
    if ext is not None and not isinstance(task_spec, ExternalServiceTask):
        for name, value in {**ext.input_parameters, **ext.output_parameters}.items():
            problems.extend(_value_problems(f"参数 {name}", value))
    return problems


LETTER_TOPIC = "reply_letter"


def _letter_preview_problems(task_spec, target_id: str | None) -> list[str]:
    """The property `letter_preview` names the service task of the same process whose parameters make
    the letter (topic reply_letter); the task page previews the letter from them."""
    if target_id is None:
        return []
    target = task_spec._wf_spec.task_specs.get(target_id.strip())
    if not isinstance(target, ExternalServiceTask):
        return [f"扩展属性 letter_preview 应为本流程中生成答复函的服务任务的标识，而“{target_id}”不是本流程的服务任务"]
    if target.extensions.topic != LETTER_TOPIC:
        return [f"扩展属性 letter_preview 指向的服务任务“{target_id}”的主题是“{target.extensions.topic}”，"
                f"应为 {LETTER_TOPIC}（生成答复函）"]
    return []


def _service_task_problems(ext) -> list[str]:
    if ext.implementation != "external":
        kind = ext.implementation or "（未设置）"
        return [f"服务任务的实现方式“{kind}”不受支持：请设为“External”，并填写主题（topic）"]
    if not ext.topic:
        return ["外部服务任务缺少主题（camunda:topic）"]
    topic = TOPICS.get(ext.topic)
    if topic is None:
        return [f"未知的服务主题“{ext.topic}”（已有：{'、'.join(sorted(TOPICS)) or '无'}）"]
    problems = []
    for name, value in ext.input_parameters.items():
        if topic.parameter(name) is None:
            problems.append(f"服务主题“{ext.topic}”没有参数“{name}”")
        problems.extend(_value_problems(f"参数 {name}", value))
    for p in topic.parameters:
        if p.required and p.name not in ext.input_parameters:
            problems.append(f"服务主题“{ext.topic}”缺少必填参数“{p.name}”（{p.label}）")
    if topic.check is not None:
        problems.extend(topic.check(ext.input_parameters))
    for name, value in ext.output_parameters.items():
        problems.extend(_value_problems(f"输出参数 {name}", value))
    return problems


def _timer_problems(definition) -> list[str]:
    timers = getattr(definition, "event_definitions", [definition])
    problems = []
    for timer in timers:
        if not isinstance(timer, TimerEventDefinition):
            continue
        problems.extend(_code_problems("定时器", timer.expression))
        if problems:
            continue
        literal = _string_literal(timer.expression)
        if literal is not None:
            try:
                if literal.upper().startswith("R"):
                    TimerEventDefinition.parse_iso_recurring_interval(literal)
                else:
                    TimerEventDefinition.parse_time_or_duration(literal)
            except Exception:
                problems.append(f"定时器“{literal}”不是有效的 ISO 8601 时间、期间或循环")
    return problems


def _string_literal(expression: str) -> str | None:
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _value_problems(label: str, value: str | None) -> list[str]:
    if value and expressions.is_wrapped(value):
        return _code_problems(label, expressions.unwrap(value))
    return []


def _code_problems(label: str, code: str | None) -> list[str]:
    if not code:
        return []
    try:
        expressions.check(code)
    except expressions.ExpressionError as e:
        return [f"{label}：{e}"]
    return []


def _compiles(text: str) -> bool:
    try:
        expressions.check(text)
        return True
    except expressions.ExpressionError:
        return False


def _problem_from(e: ValidationException, filename: str, whole_file=False) -> Problem:
    # str() of a SpiffWorkflow exception appends ". " and its notes; keep the message itself.
    reason = str(e.args[0] if e.args else e).split("\n")[0]
    notes = [n for n in getattr(e, "notes", []) if n]
    if notes:
        reason += "（" + "；".join(notes) + "）"
    element = getattr(e, "id", None) or getattr(e, "sourceline", None)
    if whole_file and not getattr(e, "id", None):
        line = getattr(e, "line_number", None) or getattr(e, "sourceline", None)
        reason = f"{reason}" + (f"（第 {line} 行）" if line else "")
        element = None
    return Problem(getattr(e, "file_name", None) or filename, str(element) if element else None, reason)


def _unique(problems):
    seen, result = set(), []
    for p in problems:
        key = (p.file, p.element_id, p.reason)
        if key not in seen:
            seen.add(key)
            result.append(p)
    return result
