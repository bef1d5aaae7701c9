"""bpmnlint (npm, see package.json and docs/bpmnlint.md) over every diagram in bpmn/.

`make test` installs the linter with `npm ci` first. Without node_modules/ these tests are skipped
on a developer's machine and fail when CI is set, so a missing install can never pass as green.
"""
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BPMNLINT = ROOT / "node_modules" / ".bin" / "bpmnlint"
CONFIG = ROOT / ".bpmnlintrc"
DIAGRAMS = sorted((ROOT / "bpmn").glob("*.bpmn"))

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.fixture(scope="module")
def bpmnlint():
    if not BPMNLINT.exists():
        message = f"{BPMNLINT.relative_to(ROOT)} is missing (run: npm ci --no-audit --no-fund, or make test)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return BPMNLINT


def run_bpmnlint(bpmnlint, diagram: Path) -> subprocess.CompletedProcess:
    # From the project root with the committed config named explicitly, so the result never depends
    # on the caller's working directory. --max-warnings=0: a rule that only warns (an overlapping
    # shape, a superfluous gateway, ...) fails too, since a passing test's output is never shown.
    return subprocess.run([str(bpmnlint), "--config", str(CONFIG), "--max-warnings=0", str(diagram)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_there_are_diagrams_to_lint():
    assert DIAGRAMS, "bpmn/ holds no .bpmn file"


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=[d.name for d in DIAGRAMS])
def test_diagram_passes_bpmnlint(bpmnlint, diagram):
    result = run_bpmnlint(bpmnlint, diagram)
    assert result.returncode == 0, (
        f"bpmnlint reports problems in bpmn/{diagram.name} (exit {result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}")


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=[d.name for d in DIAGRAMS])
def test_flow_node_references_match_the_sequence_flows(diagram):
    """bpmnlint judges connectivity by each node's <bpmn:incoming>/<bpmn:outgoing>, while the engine
    follows sourceRef/targetRef: the two must tell the same story for the lint to mean anything."""
    root = ET.parse(diagram).getroot()
    for process in root.iter(f"{BPMN}process"):
        expected_in, expected_out = {}, {}
        for flow in process.iter(f"{BPMN}sequenceFlow"):
            expected_out.setdefault(flow.get("sourceRef"), set()).add(flow.get("id"))
            expected_in.setdefault(flow.get("targetRef"), set()).add(flow.get("id"))
        for node in process.iter():
            node_id = node.get("id")
            # Only BPMN elements: form values (camunda:value) have ids that may repeat a node's.
            if node.tag == f"{BPMN}sequenceFlow" or node_id is None or not node.tag.startswith(BPMN):
                continue
            declared_in = {e.text.strip() for e in node.findall(f"{BPMN}incoming")}
            declared_out = {e.text.strip() for e in node.findall(f"{BPMN}outgoing")}
            assert declared_in == expected_in.get(node_id, set()), f"{diagram.name}: incoming of {node_id}"
            assert declared_out == expected_out.get(node_id, set()), f"{diagram.name}: outgoing of {node_id}"


BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  id="defs_broken" targetNamespace="http://example.invalid/bpmn">
  <bpmn:process id="broken" isExecutable="true">
    <bpmn:startEvent id="start" name="Start">
      <bpmn:outgoing>flow_start_choice</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="flow_start_choice" sourceRef="start" targetRef="choice" />
    <!-- An exclusive gateway without a default: one flow has a condition, the other has none. -->
    <bpmn:exclusiveGateway id="choice" name="Which way?">
      <bpmn:incoming>flow_start_choice</bpmn:incoming>
      <bpmn:outgoing>flow_choice_a</bpmn:outgoing>
      <bpmn:outgoing>flow_choice_b</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="flow_choice_a" name="over 100" sourceRef="choice" targetRef="end_a">
      <bpmn:conditionExpression>amount &gt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_choice_b" sourceRef="choice" targetRef="end_b" />
    <bpmn:endEvent id="end_a" name="A">
      <bpmn:incoming>flow_choice_a</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:endEvent id="end_b" name="B">
      <bpmn:incoming>flow_choice_b</bpmn:incoming>
    </bpmn:endEvent>
    <!-- A task nothing leads to and nothing leaves. -->
    <bpmn:userTask id="orphan" name="Orphan task" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_broken">
    <bpmndi:BPMNPlane id="plane_broken" bpmnElement="broken">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="choice_di" bpmnElement="choice" isMarkerVisible="true"><dc:Bounds x="245" y="95" width="50" height="50" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_a_di" bpmnElement="end_a"><dc:Bounds x="352" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_b_di" bpmnElement="end_b"><dc:Bounds x="352" y="212" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="orphan_di" bpmnElement="orphan"><dc:Bounds x="450" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_choice_di" bpmnElement="flow_start_choice"><di:waypoint x="188" y="120" /><di:waypoint x="245" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_choice_a_di" bpmnElement="flow_choice_a"><di:waypoint x="295" y="120" /><di:waypoint x="352" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_choice_b_di" bpmnElement="flow_choice_b"><di:waypoint x="270" y="145" /><di:waypoint x="270" y="230" /><di:waypoint x="352" y="230" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def test_broken_diagram_is_reported(bpmnlint, tmp_path):
    """Proves the linter really runs with our config: a diagram with known defects must fail."""
    broken = tmp_path / "broken.bpmn"
    broken.write_text(BROKEN, encoding="utf-8")
    result = run_bpmnlint(bpmnlint, broken)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"bpmnlint accepted a broken diagram:\n{output}"
    assert "flow_choice_a" not in output, f"the conditioned flow was reported:\n{output}"
    for element_id, rule in [("orphan", "no-disconnected"),
                             ("orphan", "no-implicit-start"),
                             ("flow_choice_b", "conditional-flows")]:
        assert any(element_id in line and rule in line for line in output.splitlines()), (
            f"expected {rule} on {element_id}; bpmnlint said:\n{output}")
