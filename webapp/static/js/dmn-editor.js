// The decision table page: dmn-js (served from node_modules by webapp/web/vendor.py) opened on the
// decision table, in Chinese; drafts, checks, deploy, and the trial run (试算) that evaluates the
// draft and the deployed table on the same inputs.
import { DECISION_ZH } from "./modeler-zh.js";
import {
  config, deployXml, el, markDirty, post, saveDraft, setStatus, showDiff, showProblems, translateModule,
} from "./modeler-common.js";

const buttons = ["save-draft", "check", "deploy"].map((id) => document.getElementById(id));
const container = document.getElementById("dmn");

// Each view gets the translation (dmn-js passes `common` on but not its additionalModules).
const chinese = { additionalModules: [translateModule(DECISION_ZH)] };
const dmnModeler = new window.DmnJS({
  container: "#dmn", drd: chinese, decisionTable: chinese, literalExpression: chinese, boxedExpression: chinese,
});
window.dmnModeler = dmnModeler; // for the browser tests and for anyone debugging in the console

async function currentXml() {
  const { xml } = await dmnModeler.saveXML({ format: true });
  return xml;
}

let marks = [];
function clearMarks() {
  for (const [node, cls] of marks) node.classList.remove(cls);
  marks = [];
}
function mark(id, cls) {
  const nodes = container.querySelectorAll(
    `[data-element-id="${CSS.escape(id)}"], [data-row-id="${CSS.escape(id)}"]`);
  nodes.forEach((node) => {
    const target = node.closest("td") || node;
    target.classList.add(cls);
    marks.push([target, cls]);
  });
  return nodes.length > 0;
}
function focus(id) {
  const node = container.querySelector(`[data-element-id="${CSS.escape(id)}"], [data-row-id="${CSS.escape(id)}"]`);
  if (node) node.scrollIntoView({ block: "center" });
}

function showAll(problems, diff, version) {
  clearMarks();
  showProblems(problems, null, focus);
  if (diff !== undefined) {
    showDiff(diff, version, focus);
    if (diff) {
      diff.added.forEach((c) => mark(c.id, "diff-added"));
      diff.changed.forEach((c) => mark(c.id, "diff-changed"));
    }
  }
  problems.filter((p) => p.in_draft && p.element_id).forEach((p) => mark(p.element_id, "has-problem"));
}

// --- 试算 -------------------------------------------------------------------------------------------
const inputsBox = document.getElementById("trial-inputs");
const values = {};

function renderInputs(inputs) {
  inputsBox.replaceChildren();
  for (const input of inputs) {
    let control;
    if (input.type === "boolean") {
      control = el("select", { name: input.name, "data-input": input.name },
        el("option", { value: "" }, "（空）"), el("option", { value: "true" }, "是"), el("option", { value: "false" }, "否"));
    } else {
      control = el("input", { name: input.name, "data-input": input.name,
        type: ["integer", "long", "double", "number"].includes(input.type) ? "number" : "text" });
    }
    if (values[input.name] !== undefined) control.value = values[input.name];
    control.addEventListener("change", () => { values[input.name] = control.value; });
    inputsBox.append(el("label", {}, el("span", {}, input.label, " ", el("span", { className: "mono small" }, input.name)), control));
  }
}

function resultTable(side, other) {
  if (side.error) return el("p", { className: "error" }, side.error);
  const outputs = side.outputs || {};
  const table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "结果"), el("th", {}, "值"))));
  const body = el("tbody");
  const keys = Object.keys(outputs);
  if (!keys.length) body.append(el("tr", {}, el("td", { colspan: "2" }, "没有命中任何规则")));
  for (const key of keys) {
    const differs = other && !other.error && JSON.stringify((other.outputs || {})[key]) !== JSON.stringify(outputs[key]);
    body.append(el("tr", { className: differs ? "differs" : "", "data-output": key },
      el("td", { className: "mono" }, key), el("td", {}, JSON.stringify(outputs[key]))));
  }
  table.append(body);
  const rules = side.rules && side.rules.length ? `命中规则：${side.rules.join("、")}` : "";
  return el("div", {}, table, rules ? el("p", { className: "small muted" }, rules) : null);
}

document.getElementById("trial-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  inputsBox.querySelectorAll("[data-input]").forEach((c) => { values[c.name] = c.value; });
  const { data } = await post(config.urls.evaluate, { xml: await currentXml(), inputs: values });
  if (data.inputs) renderInputs(data.inputs);
  const results = document.getElementById("trial-results");
  results.hidden = false;
  if (!data.ok) {
    document.getElementById("trial-draft").replaceChildren(el("p", { className: "error" }, data.message));
    document.getElementById("trial-deployed").replaceChildren();
    return;
  }
  document.getElementById("trial-draft").replaceChildren(resultTable(data.draft, data.deployed));
  document.getElementById("trial-deployed").replaceChildren(resultTable(data.deployed, data.draft));
});

renderInputs(config.inputs || []);

async function start() {
  try {
    await dmnModeler.importXML(config.xml);
  } catch (error) {
    setStatus("决策表无法打开：" + error.message, "error");
    return;
  }
  const table = dmnModeler.getViews().find((view) => view.type === "decisionTable");
  if (table) await dmnModeler.open(table);
  const viewer = dmnModeler.getActiveViewer();
  if (viewer) viewer.get("eventBus").on("elements.changed", () => markDirty(true));
  buttons.forEach((b) => { b.disabled = false; });
  setStatus("已加载。");
  document.body.dataset.modelerReady = "true";

  buttons[0].addEventListener("click", async () => saveDraft(await currentXml()));
  buttons[1].addEventListener("click", async () => {
    setStatus("正在校验…");
    const { data } = await post(config.urls.check, { xml: await currentXml() });
    showAll(data.problems || [], data.diff, data.current_version);
    setStatus(data.ok ? "校验通过。" : `发现 ${data.problems.length} 个问题。`, data.ok ? "ok" : "error");
  });
  buttons[2].addEventListener("click", async () => {
    await deployXml(await currentXml(), (problems) => showAll(problems, undefined));
  });
}

start().catch((error) => {
  console.error(error);
  setStatus("编辑器出错：" + error.message, "error");
});
