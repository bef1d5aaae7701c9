"""Serialized workflow state, without the process specs.

SpiffWorkflow's serializer writes the whole parsed diagram into every snapshot. An instance here is
pinned to a deployment whose parsed specs are cached in memory (`repository.SpecCache`), so the
stored state holds only the task tree and data: smaller rows and a step cost that does not grow
with the diagram.
"""
import json
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from .expressions import SCRIPT_ENGINE


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct['subprocesses'] = self.mapping_to_dict(workflow.subprocesses)
        dct['bpmn_events'] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct['tasks'], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct['root']))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct['subprocesses'], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop('bpmn_events', []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = SpeclessWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_SERIALIZER = _make_serializer()
VERSION = _SERIALIZER.VERSION


def dump(workflow: BpmnWorkflow) -> str:
    registry = _SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = registry.convert(workflow)
        dct["serializer_version"] = VERSION
        return json.dumps(dct, separators=(",", ":"), ensure_ascii=False, cls=_SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False


def load(text: str, spec, subprocess_specs) -> BpmnWorkflow:
    dct = json.loads(text)
    _SERIALIZER.migrate(dct)
    workflow = _SERIALIZER.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def new_workflow(spec, subprocess_specs) -> BpmnWorkflow:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)
