"""Small BPMN / DMN documents written inline in tests, wrapped in the usual namespaces."""
from webapp.engine.validation import DefinitionSource

BPMN_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="defs_{pid}" targetNamespace="http://example.invalid/test">
"""


def bpmn(process_id: str, body: str, name: str | None = None, filename: str | None = None,
         extra: str = "") -> DefinitionSource:
    """One executable process `process_id` whose elements are `body`; `extra` goes after the process."""
    text = (BPMN_HEADER.format(pid=process_id)
            + f'  <bpmn:process id="{process_id}" name="{name or process_id}" isExecutable="true">\n'
            + body + "\n  </bpmn:process>\n" + extra + "</bpmn:definitions>\n")
    return DefinitionSource("bpmn", filename or f"{process_id}.bpmn", text)


def linear(process_id: str, *elements: str, name: str | None = None, filename: str | None = None) -> DefinitionSource:
    """start -> elements (each a complete element whose id is its first id="...") -> end, in order."""
    import re
    ids = ["start"] + [re.search(r'id="([^"]+)"', e).group(1) for e in elements] + ["end"]
    flows = "\n".join(f'    <bpmn:sequenceFlow id="flow_{i}" sourceRef="{a}" targetRef="{b}" />'
                      for i, (a, b) in enumerate(zip(ids, ids[1:])))
    body = ('    <bpmn:startEvent id="start" />\n' + "\n".join("    " + e for e in elements)
            + '\n    <bpmn:endEvent id="end" />\n' + flows)
    return bpmn(process_id, body, name=name, filename=filename)


DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn(decision_id: str, table: str, filename: str | None = None, hit_policy: str = "UNIQUE",
        extra_decisions: str = "") -> DefinitionSource:
    """A DMN 1.3 file with one decision whose decision table content is `table`."""
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<definitions xmlns="{DMN_NS}" id="defs_{decision_id}" name="{decision_id}" '
            f'namespace="http://example.invalid/dmn">\n'
            f'  <decision id="{decision_id}" name="{decision_id}">\n'
            f'    <decisionTable id="table_{decision_id}" hitPolicy="{hit_policy}">\n{table}\n'
            f'    </decisionTable>\n  </decision>\n{extra_decisions}</definitions>\n')
    return DefinitionSource("dmn", filename or f"{decision_id}.dmn", text)
