"""Which elements of a diagram or decision table differ between two versions of its XML.

Elements are matched by id. An element's content is its tag, its attributes (by namespace, not
prefix) and everything below it that has no id of its own (extension elements such as forms and
parameters, conditions, scripts, documentation): those belong to it. Children with an id are
elements of their own and compared on their own. The drawing (BPMN DI, DMN DI) is left out, and
so are `bpmn:incoming`/`bpmn:outgoing`, which only repeat the sequence flows: moving a shape or
connecting a new flow does not make every node it touches “changed”.
"""
from dataclasses import dataclass, field

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DRAWING_NAMESPACES = (
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    "http://www.omg.org/spec/DMN/20180521/DI/",
    "http://www.omg.org/spec/DMN/20180521/DC/",
)
DERIVED = {f"{{{BPMN}}}incoming", f"{{{BPMN}}}outgoing"}


@dataclass
class ElementChange:
    id: str
    kind: str          # added | changed | removed
    type: str          # the element's tag without namespace, e.g. userTask, rule
    name: str          # its name (or label) in the newer version, else the older one
    details: list[str] = field(default_factory=list)  # what changed, in Chinese

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "type": self.type, "name": self.name, "details": self.details}


@dataclass
class DiagramDiff:
    added: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def as_dict(self) -> dict:
        return {"added": [c.as_dict() for c in self.added], "changed": [c.as_dict() for c in self.changed],
                "removed": [c.as_dict() for c in self.removed], "empty": self.empty}


def diff_definitions(old_xml: str, new_xml: str) -> DiagramDiff:
    """Added, changed and removed elements from `old_xml` (the version in service) to `new_xml`."""
    old, new = _elements(old_xml), _elements(new_xml)
    result = DiagramDiff()
    for element_id, (element, signature) in new.items():
        if element_id not in old:
            result.added.append(_change(element_id, "added", element, ["新增"]))
        elif old[element_id][1] != signature:
            result.changed.append(_change(element_id, "changed", element,
                                          _details(old[element_id][0], element)))
    for element_id, (element, _signature) in old.items():
        if element_id not in new:
            result.removed.append(_change(element_id, "removed", element, ["已删除"]))
    return result


def _elements(xml: str) -> dict[str, tuple]:
    root = etree.fromstring(xml.encode("utf-8"))
    found = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or _is_drawing(element) or element is root:
            continue
        element_id = element.get("id")
        if element_id and _is_model_element(element):
            found[element_id] = (element, _signature(element))
    return found


def _is_model_element(element) -> bool:
    """BPMN/DMN elements with an id; extension values (a form field's camunda:value id) are content."""
    namespace = etree.QName(element).namespace or ""
    return "omg.org/spec" in namespace


def _is_drawing(element) -> bool:
    return any(etree.QName(a).namespace in DRAWING_NAMESPACES for a in [element, *element.iterancestors()])


def _signature(element) -> tuple:
    attributes = tuple(sorted((k, v) for k, v in element.attrib.items() if k != "id"))
    return (element.tag, attributes, (element.text or "").strip(), _content(element))


def _content(element) -> tuple:
    """Everything below the element that belongs to it (children without an id of their own)."""
    parts = []
    for child in element:
        if not isinstance(child.tag, str) or child.tag in DERIVED or _is_drawing(child):
            continue
        if child.get("id") and _is_model_element(child):
            continue
        attributes = tuple(sorted(child.attrib.items()))
        parts.append((child.tag, attributes, (child.text or "").strip(), _content(child)))
    return tuple(parts)


LABELS = {
    "name": "名称", "label": "标签", "assignee": "办理人", "candidateGroups": "候选组", "candidateUsers": "候选人",
    "dueDate": "到期时间", "followUpDate": "跟进时间", "priority": "优先级", "topic": "服务主题", "type": "实现方式",
    "decisionRef": "决策表引用", "resultVariable": "结果变量", "calledElement": "调用的流程", "default": "默认流向",
    "sourceRef": "起点", "targetRef": "终点", "hitPolicy": "命中策略", "collection": "多实例集合",
    "elementVariable": "元素变量", "typeRef": "类型",
}
CONTENT_LABELS = {
    "formData": "表单字段", "inputOutput": "输入/输出参数", "properties": "扩展属性", "conditionExpression": "流转条件",
    "script": "脚本", "documentation": "说明", "timerEventDefinition": "定时器", "multiInstanceLoopCharacteristics": "多实例",
    "messageEventDefinition": "消息", "inputEntry": "条件", "outputEntry": "结果", "inputExpression": "输入表达式",
    "description": "说明", "text": "内容", "extensionElements": "扩展设置",
}


def _details(old, new) -> list[str]:
    details = []
    names = set(old.attrib) | set(new.attrib)
    for key in sorted(names - {"id"}):
        before, after = old.get(key), new.get(key)
        if before != after:
            label = LABELS.get(etree.QName(key).localname, etree.QName(key).localname)
            details.append(f"{label}：{before if before is not None else '（无）'} → {after if after is not None else '（无）'}")
    if (old.text or "").strip() != (new.text or "").strip():
        details.append("内容有变化")
    old_parts, new_parts = _parts(old), _parts(new)
    for key in sorted(set(old_parts) | set(new_parts)):
        if old_parts.get(key) != new_parts.get(key):
            details.append(f"{CONTENT_LABELS.get(key, key)}有变化")
    return details or ["有变化"]


def _parts(element) -> dict[str, list]:
    """The element's own content by kind; extension elements are looked into (forms, parameters…)."""
    parts: dict[str, list] = {}
    for child in element:
        if not isinstance(child.tag, str) or child.tag in DERIVED or _is_drawing(child):
            continue
        if child.get("id") and _is_model_element(child):
            continue
        local = etree.QName(child).localname
        if local == "extensionElements":
            for extension in child:
                if isinstance(extension.tag, str):
                    parts.setdefault(etree.QName(extension).localname, []).append(_signature(extension))
        else:
            parts.setdefault(local, []).append(_signature(child))
    return parts


def _change(element_id, kind, element, details) -> ElementChange:
    name = element.get("name") or element.get("label") or ""
    parent = element.getparent()
    if not name and parent is not None and etree.QName(parent).localname == "rule":
        # A decision table cell: named after its rule (the rule's description, else its id).
        name = (parent.findtext(f"{{{etree.QName(parent).namespace}}}description") or parent.get("id") or "").strip()
    return ElementChange(element_id, kind, etree.QName(element).localname, name, details)
