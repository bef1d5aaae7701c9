// Lay out BPMN diagrams that have no (or an outdated) diagram interchange.
//   node tools/bpmn_layout.mjs bpmn/item_handling.bpmn [...]
// Hand-written semantic XML first gets the <incoming>/<outgoing> references a modeler writes, then
// bpmn-auto-layout draws every process, sub-process and boundary event; tidy the result in a modeler.
import { readFileSync, writeFileSync } from 'node:fs';
import { BpmnModdle } from 'bpmn-moddle';
import camunda from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };
import { layoutProcess } from 'bpmn-auto-layout';

const moddle = new BpmnModdle({ camunda });

async function withFlowReferences(xml) {
  const { rootElement } = await moddle.fromXML(xml);
  const visit = (container) => {
    const elements = container.flowElements || [];
    for (const flow of elements.filter((e) => e.$type === 'bpmn:SequenceFlow')) {
      for (const [node, list] of [[flow.sourceRef, 'outgoing'], [flow.targetRef, 'incoming']]) {
        node.set(list, node.get(list) || []);
        if (!node.get(list).includes(flow)) node.get(list).push(flow);
      }
    }
    elements.filter((e) => e.$type === 'bpmn:SubProcess').forEach(visit);
  };
  rootElement.rootElements.filter((e) => e.$type === 'bpmn:Process').forEach(visit);
  rootElement.diagrams = [];
  const { xml: out } = await moddle.toXML(rootElement, { format: true });
  return out;
}

// bpmn-auto-layout puts every boundary event of a host on the same spot: widen a host that carries
// several, shift what lies to its right, and spread the events along its bottom edge.
async function spreadBoundaryEvents(xml) {
  const { rootElement } = await moddle.fromXML(xml);
  for (const plane of rootElement.diagrams.map((d) => d.plane)) {
    const shapes = plane.planeElement.filter((e) => e.$type === 'bpmndi:BPMNShape');
    const edges = plane.planeElement.filter((e) => e.$type === 'bpmndi:BPMNEdge');
    const hosts = new Map();
    for (const shape of shapes.filter((s) => s.bpmnElement.$type === 'bpmn:BoundaryEvent')) {
      const host = shapes.find((s) => s.bpmnElement === shape.bpmnElement.attachedToRef);
      if (host) hosts.set(host, [...(hosts.get(host) || []), shape]);
    }
    for (const [host, events] of hosts) {
      const width = Math.max(host.bounds.width, 46 * events.length + 14);
      const delta = width - host.bounds.width;
      const right = host.bounds.x + host.bounds.width;
      if (delta > 0) {
        for (const s of shapes.filter((s) => s.bounds.x >= right)) s.bounds.x += delta;
        for (const e of edges) for (const w of e.waypoint) if (w.x >= right) w.x += delta;
        host.bounds.width = width;
      }
      events.forEach((shape, i) => {
        shape.bounds.x = host.bounds.x + 10 + 46 * i;
        shape.bounds.y = host.bounds.y + host.bounds.height - 18;
        // Labels in three staggered rows below the events, so neighbours' names do not overlap.
        shape.label = moddle.create('bpmndi:BPMNLabel', {
          bounds: moddle.create('dc:Bounds', { x: shape.bounds.x + 20, y: shape.bounds.y + 38 + 16 * (i % 3), width: 80, height: 14 }),
        });
        const edge = edges.find((e) => e.bpmnElement.sourceRef === shape.bpmnElement);
        if (edge) {
          const cx = shape.bounds.x + 18;
          edge.waypoint[0].x = cx;
          edge.waypoint[0].y = shape.bounds.y + 36;
          edge.waypoint[1].x = cx;
        }
      });
    }
  }
  const { xml: out } = await moddle.toXML(rootElement, { format: true });
  return out;
}

for (const file of process.argv.slice(2)) {
  const laidOut = await spreadBoundaryEvents(await layoutProcess(await withFlowReferences(readFileSync(file, 'utf8'))));
  writeFileSync(file, laidOut.endsWith('\n') ? laidOut : laidOut + '\n');
  console.log(`laid out ${file}`);
}
