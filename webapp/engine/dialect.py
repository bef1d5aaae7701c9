"""The Camunda 7 modelling dialect, honoured in full on top of SpiffWorkflow's Camunda parser.

SpiffWorkflow's parser keeps forms (only with a formKey), decision references and properties; it
drops assignment, due dates, priorities and external service tasks, and expects bare Python where
Camunda users write `${…}` or plain ISO 8601. Every parser class here gets the same mixin so that
whatever a process owner sets in a modeler's properties panel reaches the task spec, in
`task_spec.extensions` (see `CamundaExtensions`), and is checked at deploy time.
"""
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, BusinessRuleTaskParser, UserTaskParser
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.specs.base import TaskSpec

from . import expressions
from .forms import Form, FormField
from .joins import MergingParallelGateway

CAMUNDA = "{" + CAMUNDA_MODEL_NS + "}"


@dataclass
class CamundaExtensions:
    """Everything the Camunda properties panel can set on an element that the runtime acts on."""
    properties: dict[str, str] = field(default_factory=dict)
    assignee: str | None = None
    candidate_users: str | None = None
    candidate_groups: str | None = None
    due_date: str | None = None
    follow_up_date: str | None = None
    priority: str | None = None
    implementation: str | None = None  # 'external' for service tasks; other kinds are refused
    topic: str | None = None
    result_variable: str | None = None
    input_parameters: dict[str, str] = field(default_factory=dict)
    output_parameters: dict[str, str] = field(default_factory=dict)
    embedded: bool = False  # an embedded sub-process (shares its parent's variable scope)


class ExternalServiceTask(BpmnSpecMixin):
    """A `camunda:type="external"` service task: the engine stops here and the worker runs its job."""

    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = True


class DecisionTask(BusinessRuleTask):
    """Business rule task that honours `camunda:resultVariable` (else outputs merge into the data)."""

    def _run_hook(self, my_task):
        variable = my_task.task_spec.extensions.result_variable
        if not variable:
            return super()._run_hook(my_task)
        my_task.data[variable] = self.dmnEngine.result(my_task)
        return TaskSpec._run_hook(self, my_task)


class CamundaDialectMixin:
    """Shared by every element parser: conditions, timers and Camunda extension attributes."""

    def parse_condition(self, sequence_flow):
        expression = first(self._xpath(sequence_flow, './/bpmn:conditionExpression'))
        if expression is None:
            return None
        if expression.get(f"{CAMUNDA}resource") or expression.get("language") not in (None, "", "python"):
            self.raise_validation_exception("只支持内联的 Python 条件表达式（不支持脚本语言或外部资源）")
        return expressions.unwrap(expression.text or "") or None

    def parse_timer_event(self, event):
        definition = super().parse_timer_event(event)
        definition.expression = expressions.timer_expression(definition.expression or "")
        return definition

    def _add_multiinstance_task(self, loop_characteristics):
        """Multi-instance as Camunda defines it, resolved at parse time.

        SpiffWorkflow's Camunda variant decides at run time whether `loopCardinality` is a count or a
        collection and rewrites the spec while doing so; specs here are shared by every instance of a
        deployment, so they must not change. `camunda:collection` names the input list,
        `camunda:elementVariable` the item each instance gets; the task properties `outputCollection`
        and `outputElement` collect one value per instance (otherwise instance data merges back).
        """
        sequential = loop_characteristics.get('isSequential') == 'true'
        prefix = 'bpmn:multiInstanceLoopCharacteristics'
        cardinality = first(self.xpath(f'./{prefix}/bpmn:loopCardinality'))
        cardinality = expressions.unwrap(cardinality.text) if cardinality is not None and cardinality.text else None
        collection = loop_characteristics.get(f"{CAMUNDA}collection")
        collection = expressions.unwrap(collection) if collection else None
        element = loop_characteristics.get(f"{CAMUNDA}elementVariable")
        condition = first(self.xpath(f'./{prefix}/bpmn:completionCondition'))
        condition = expressions.unwrap(condition.text) if condition is not None and condition.text else None
        if not cardinality and not collection:
            self.raise_validation_exception("多实例任务必须设置集合（camunda:collection）或实例数（loopCardinality）")
        if collection and not collection.isidentifier():
            self.raise_validation_exception(f"多实例集合“{collection}”必须是一个变量名")
        properties = self.parse_extensions().properties
        output_collection, output_element = properties.get("outputCollection"), properties.get("outputElement")
        original = self.spec.task_specs.pop(self.task.name)
        cls = SequentialMultiInstanceTask if sequential else ParallelMultiInstanceTask
        self.task = cls(
            self.spec, original.name, task_spec='',
            cardinality=None if collection else cardinality,
            data_input=TaskDataReference(collection) if collection else None,
            input_item=TaskDataReference(element) if element else None,
            data_output=TaskDataReference(output_collection) if output_collection and output_element else None,
            output_item=TaskDataReference(output_element) if output_collection and output_element else None,
            condition=condition)
        self._copy_task_attrs(original, loop_characteristics)

    def parse_extensions(self, node=None):
        node = node if node is not None else self.node
        ext = CamundaExtensions(embedded=node.tag == full_tag('subProcess'))
        for prop in self._xpath(node, './bpmn:extensionElements/camunda:properties/camunda:property'):
            ext.properties[prop.get('name')] = prop.get('value')
        ext.assignee = node.get(f"{CAMUNDA}assignee")
        ext.candidate_users = node.get(f"{CAMUNDA}candidateUsers")
        ext.candidate_groups = node.get(f"{CAMUNDA}candidateGroups")
        ext.due_date = node.get(f"{CAMUNDA}dueDate")
        ext.follow_up_date = node.get(f"{CAMUNDA}followUpDate")
        ext.priority = node.get(f"{CAMUNDA}priority")
        ext.topic = node.get(f"{CAMUNDA}topic")
        ext.result_variable = node.get(f"{CAMUNDA}resultVariable")
        for kind in ("class", "expression", "delegateExpression", "type"):
            if node.get(f"{CAMUNDA}{kind}") is not None:
                ext.implementation = node.get(f"{CAMUNDA}{kind}") if kind == "type" else kind
        for param in self._xpath(node, './bpmn:extensionElements/camunda:inputOutput/camunda:inputParameter'):
            # An empty parameter is one left unset: element templates (the modeler's list of service
            # topics) write every parameter of a topic, the optional ones empty.
            if len(param) == 0 and not (param.text or "").strip():
                continue
            ext.input_parameters[param.get('name')] = _parameter_value(self, param)
        for param in self._xpath(node, './bpmn:extensionElements/camunda:inputOutput/camunda:outputParameter'):
            ext.output_parameters[param.get('name')] = _parameter_value(self, param)
        return ext


def _parameter_value(parser, param) -> str:
    """A parameter's value as a Camunda-style string: literal text, or `${expr}`."""
    if len(param):
        child = param[0]
        if child.tag == f"{CAMUNDA}script":
            parser.raise_validation_exception(f"参数“{param.get('name')}”使用脚本，不受支持；请改用 ${{表达式}}")
        if child.tag == f"{CAMUNDA}list":
            items = [v.text or "" for v in child]
            return "${[" + ", ".join(expressions.unwrap(i) if expressions.is_wrapped(i) else repr(i)
                                     for i in items) + "]}"
        if child.tag == f"{CAMUNDA}map":
            entries = [(e.get("key"), e.text or "") for e in child]
            return "${{" + ", ".join(f"{k!r}: " + (expressions.unwrap(v) if expressions.is_wrapped(v) else repr(v))
                                     for k, v in entries) + "}}"
    return param.text or ""


class CamundaUserTaskParser(UserTaskParser):
    def create_task(self):
        return self.spec_class(self.spec, self.bpmn_id, form=self.get_form(), **self.bpmn_attributes)

    def get_form(self):
        """Generated task forms: `camunda:formData` is read whether or not a formKey is set."""
        form = Form()
        for xml_field in self.xpath('./bpmn:extensionElements/camunda:formData/camunda:formField'):
            f = FormField(id=xml_field.get('id') or "", label=xml_field.get('label') or xml_field.get('id') or "",
                          type=xml_field.get('type') or "string", default=xml_field.get('defaultValue'))
            for child in xml_field:
                if child.tag == f"{CAMUNDA}value":
                    f.options.append((child.get('id'), child.get('name') or child.get('id')))
                elif child.tag == f"{CAMUNDA}properties":
                    for p in child:
                        f.properties[p.get('id')] = p.get('value')
                elif child.tag == f"{CAMUNDA}validation":
                    for c in child:
                        f.constraints[c.get('name')] = c.get('config')
            form.fields.append(f)
        return form


class CamundaBusinessRuleTaskParser(BusinessRuleTaskParser):
    @staticmethod
    def get_decision_ref(node):
        # SpiffWorkflow reads the attribute with [] while collecting dependencies, which crashed the
        # deploy with a KeyError when it is missing; `create_task` reports that case instead.
        return node.get(f"{CAMUNDA}decisionRef")

    def create_task(self):
        ref = self.node.get(f"{CAMUNDA}decisionRef")
        if not ref:
            self.raise_validation_exception("业务规则任务缺少 camunda:decisionRef（决策表引用）")
        known = self.process_parser.parser.dmn_parsers
        if ref not in known:  # SpiffWorkflow's own message for this is English and names no file
            self.raise_validation_exception(
                f"引用的决策表“{ref}”不存在（已有：{'、'.join(sorted(known)) or '无'}）")
        # Not super().create_task(): it builds a plain BusinessRuleTask, which ignores resultVariable.
        engine = self.process_parser.parser.get_engine(ref, self.node)
        return self.spec_class(self.spec, self.bpmn_id, dmnEngine=engine, **self.bpmn_attributes)


_SPECIFIC = {
    full_tag('userTask'): (CamundaUserTaskParser, UserTask),
    full_tag('businessRuleTask'): (CamundaBusinessRuleTaskParser, DecisionTask),
    full_tag('serviceTask'): (None, ExternalServiceTask),
    full_tag('sendTask'): (None, ExternalServiceTask),
    full_tag('parallelGateway'): (GatewayParser, MergingParallelGateway),  # keeps every branch's changes
}


def _dialect_parser_classes():
    from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser

    classes = {**CamundaParser.PARSER_CLASSES, **CamundaParser.OVERRIDE_PARSER_CLASSES}
    result = {}
    for tag, (parser_cls, spec_cls) in classes.items():
        specific_parser, specific_spec = _SPECIFIC.get(tag, (parser_cls, spec_cls))
        base = specific_parser or CamundaTaskParser
        result[tag] = (type(f"Dialect{base.__name__}", (CamundaDialectMixin, base), {}), specific_spec or spec_cls)
    return result


class DialectParser(CamundaParser):
    """The parser every deployment goes through."""
    OVERRIDE_PARSER_CLASSES = _dialect_parser_classes()


__all__ = ["DialectParser", "CamundaExtensions", "ExternalServiceTask"]
