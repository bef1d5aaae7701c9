"""Camunda 7 element templates generated from the registered service topics (service_tasks.TOPICS).

The modeler loads them (/modeler/element-templates.json), so a process owner picks “生成答复函” from a
list instead of typing `camunda:type`, `camunda:topic` and parameter names. A template sets the task
to an external task with the topic and offers one field per topic parameter, bound to a
`camunda:inputParameter` of that name; required parameters must not be left empty. Values may be
literal text or `${表达式}`, as everywhere else. Deploy checks the result like any hand-made task
(webapp/engine/validation.py): unknown topics and parameters are refused, whatever the modeler did.
"""
from service_tasks import ServiceTopic

TEMPLATE_VERSION = 1
APPLIES_TO = ["bpmn:ServiceTask", "bpmn:SendTask"]


def template_id(topic_name: str) -> str:
    return f"suggestion-handling.topic.{topic_name}"


def element_template(topic: ServiceTopic) -> dict:
    """One topic as a Camunda 7 element template (JSON-ready dict)."""
    properties = [
        {"type": "Hidden", "value": "external", "binding": {"type": "property", "name": "camunda:type"}},
        {"label": "服务主题", "type": "String", "value": topic.name, "editable": False,
         "binding": {"type": "property", "name": "camunda:topic"}},
    ]
    for parameter in topic.parameters:
        prop = {
            "label": parameter.label + ("（必填）" if parameter.required else ""),
            "type": "String",
            "binding": {"type": "camunda:inputParameter", "name": parameter.name},
        }
        description = parameter.description or f"参数 {parameter.name}：文字，或 ${{表达式}}"
        prop["description"] = description
        if parameter.required:
            prop["constraints"] = {"notEmpty": True}
        properties.append(prop)
    # The docstring's first line when it is written for people (Chinese), else the label.
    lines = (topic.description or "").strip().splitlines()
    summary = lines[0] if lines and not lines[0].isascii() else topic.label
    return {
        "name": topic.label,
        "id": template_id(topic.name),
        "version": TEMPLATE_VERSION,
        "description": summary,
        "appliesTo": APPLIES_TO,
        "properties": properties,
    }


def element_templates(topics: dict[str, ServiceTopic]) -> list[dict]:
    """Every topic's template, in the order of their Chinese labels' topic names."""
    return [element_template(topics[name]) for name in sorted(topics)]
