// The BPMN modeler page: camunda-bpmn-js (Camunda 7 distribution, served from node_modules by
// webapp/web/vendor.py) with the Chinese of bpmn-js-i18n plus our properties-panel dictionary, and
// the element templates generated from the service topics.
import zn from "bpmn-js-i18n/zn";
import { PANEL_ZH } from "./modeler-zh.js";
import {
  config, deployXml, markDirty, post, saveDraft, setStatus, showDiff, showProblems, translateModule, el,
} from "./modeler-common.js";

const buttons = ["save-draft", "check", "deploy"].map((id) => document.getElementById(id));

async function start() {
  const templates = await (await fetch(config.urls.templates, { credentials: "same-origin" })).json();
  const modeler = new window.BpmnModeler({
    container: "#canvas",
    propertiesPanel: { parent: "#properties" },
    additionalModules: [translateModule({ ...zn, ...PANEL_ZH })],
    elementTemplates: templates,
  });
  window.modeler = modeler; // for the browser tests and for anyone debugging in the console
  const templateErrors = [];
  modeler.on("elementTemplates.errors", (event) => {
    templateErrors.push(...event.errors.map(String));
    console.warn("element templates refused:", event.errors);
  });
  try {
    const { warnings } = await modeler.importXML(config.xml);
    if (warnings.length) console.warn("import warnings", warnings);
  } catch (error) {
    setStatus("流程图无法打开：" + error.message, "error");
    return;
  }
  modeler.get("canvas").zoom("fit-viewport");
  // The properties panel's 模板 → 选择 asks for a template; this distribution ships no chooser of its
  // own, so the list of services is ours.
  modeler.get("eventBus").on("elementTemplates.select", (event) => chooseTemplate(modeler, event.element));
  modeler.on("commandStack.changed", () => markDirty(true));
  buttons.forEach((b) => { b.disabled = false; });
  setStatus(templateErrors.length ? "已加载，但有服务模板无法使用：" + templateErrors.join("；") : "已加载。", templateErrors.length ? "error" : "");
  document.body.dataset.modelerReady = "true";

  const canvas = modeler.get("canvas");
  const overlays = modeler.get("overlays");
  const registry = modeler.get("elementRegistry");
  const selection = modeler.get("selection");
  let marked = [];

  function clearMarks() {
    for (const [id, cls] of marked) if (registry.get(id)) canvas.removeMarker(id, cls);
    marked = [];
    overlays.remove({ type: "problem" });
    overlays.remove({ type: "diff" });
  }

  function mark(id, cls) {
    if (!registry.get(id)) return false;
    canvas.addMarker(id, cls);
    marked.push([id, cls]);
    return true;
  }

  function focus(id) {
    const element = registry.get(id);
    if (!element) return;
    const root = canvas.findRoot ? canvas.findRoot(element) : null;
    if (root && root !== canvas.getRootElement()) canvas.setRootElement(root);
    if (canvas.scrollToElement) canvas.scrollToElement(element);
    if (element.waypoints || element.width) selection.select(element);
  }

  function markProblems(problems) {
    for (const p of problems) {
      if (!p.in_draft || !p.element_id) continue;
      if (mark(p.element_id, "has-problem") && !registry.get(p.element_id).waypoints) {
        overlays.add(p.element_id, "problem", {
          position: { top: -11, right: 11 },
          html: el("div", { className: "problem-badge", title: p.reason, "data-problem-for": p.element_id }, "!"),
        });
      }
    }
  }

  function markDiff(diff) {
    if (!diff) return;
    for (const kind of ["added", "changed"]) {
      for (const change of diff[kind]) {
        if (mark(change.id, "diff-" + kind) && !registry.get(change.id).waypoints) {
          overlays.add(change.id, "diff", {
            position: { bottom: 4, left: -6 },
            html: el("span", { className: "diff-badge " + kind }, kind === "added" ? "新增" : "修改"),
          });
        }
      }
    }
  }

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }

  function showAll(problems, lint, diff, version) {
    clearMarks();
    showProblems(problems, lint, focus);
    if (diff !== undefined) showDiff(diff, version, focus);
    markDiff(diff);
    markProblems(problems);
  }

  buttons[0].addEventListener("click", async () => saveDraft(await currentXml()));

  buttons[1].addEventListener("click", async () => {
    setStatus("正在校验…");
    const { data } = await post(config.urls.check, { xml: await currentXml() });
    showAll(data.problems || [], data.lint, data.diff, data.current_version);
    setStatus(data.ok ? "校验通过。" : `发现 ${data.problems.length} 个问题。`, data.ok ? "ok" : "error");
  });

  buttons[2].addEventListener("click", async () => {
    const xml = await currentXml();
    await deployXml(xml, (problems) => showAll(problems, null, undefined));
  });
}

function chooseTemplate(modeler, element) {
  const elementTemplates = modeler.get("elementTemplates");
  const templates = elementTemplates.getLatest(element);
  const dialog = el("dialog", { className: "template-chooser", "data-testid": "template-chooser", "aria-label": "选择服务" });
  const close = () => { dialog.close(); dialog.remove(); };
  const list = el("ul", {});
  for (const template of templates) {
    const button = el("button", { type: "button", className: "template-option", "data-template-id": template.id },
      el("strong", {}, template.name), el("span", { className: "small muted" }, template.description || ""));
    button.addEventListener("click", () => {
      elementTemplates.applyTemplate(element, template);
      close();
    });
    list.append(el("li", {}, button));
  }
  const cancel = el("button", { type: "button", className: "btn" }, "取消");
  cancel.addEventListener("click", close);
  dialog.append(el("h2", {}, "选择服务"),
    el("p", { className: "small muted" }, "选用后在属性面板中填写参数（文字或 ${表达式}），带“必填”的不能空着。"),
    templates.length ? list : el("p", {}, "没有适用于此元素的服务模板。"), el("p", {}, cancel));
  document.body.append(dialog);
  dialog.showModal();
}

start().catch((error) => {
  console.error(error);
  setStatus("编辑器出错：" + error.message, "error");
});
