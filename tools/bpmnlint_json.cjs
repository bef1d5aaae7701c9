#!/usr/bin/env node
// Lints one BPMN file with bpmnlint and prints the reports as JSON (for the modeler's 校验,
// webapp/modeling/lint.py): [{"id", "message", "category", "rule"}]. Same parsing and rules as
// `bpmnlint --config FILE diagram.bpmn` (bin/bpmnlint.js of 11.x): import warnings are errors.
// Usage: node tools/bpmnlint_json.cjs CONFIG DIAGRAM
const { readFileSync } = require('node:fs');
const path = require('node:path');

const bpmnlintDir = path.dirname(require.resolve('bpmnlint/package.json'));
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
// The moddle bpmnlint itself uses, whichever copy npm gave it.
const { BpmnModdle } = require(require.resolve('bpmn-moddle', { paths: [ bpmnlintDir ] }));

async function main() {
  const [ configPath, diagramPath ] = process.argv.slice(2);
  if (!configPath || !diagramPath) {
    throw new Error('usage: bpmnlint_json.cjs CONFIG DIAGRAM');
  }
  const config = JSON.parse(readFileSync(configPath, 'utf-8'));
  const xml = readFileSync(diagramPath, 'utf-8');
  const reports = [];
  let root, warnings = [];
  try {
    ({ rootElement: root, warnings = [] } = await new BpmnModdle().fromXML(xml));
  } catch (error) {
    reports.push({ id: null, message: 'Parse error: ' + error.message, category: 'error', rule: 'parse' });
    process.stdout.write(JSON.stringify(reports));
    return;
  }
  for (const warning of warnings) {
    reports.push({ id: warning.element ? warning.element.id : null,
      message: 'Import warning: ' + warning.message.split(/\n/)[0], category: 'error', rule: 'import' });
  }
  const linter = new Linter({ config, resolver: new NodeResolver() });
  const results = await linter.lint(root);
  for (const [ rule, list ] of Object.entries(results)) {
    for (const report of list) {
      reports.push({ id: report.id || null, message: report.message, category: report.category, rule });
    }
  }
  process.stdout.write(JSON.stringify(reports));
}

main().catch(error => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(2);
});
