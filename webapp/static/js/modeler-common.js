// Shared by the BPMN and DMN editor pages: configuration, requests, translation, result lists.

export const config = JSON.parse(document.getElementById("modeler-config").textContent);

const csrfToken = (document.querySelector("meta[name=csrf-token]") || {}).content || "";

// POST JSON to the app; resolves to {status, data} (errors are answers too).
export async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, "Accept": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  let data;
  try {
    data = await response.json();
  } catch (e) {
    data = { ok: false, message: `服务器返回了无法识别的结果（HTTP ${response.status}）` };
  }
  return { status: response.status, data };
}

// A bpmn-js / dmn-js module that replaces the `translate` service with a dictionary lookup.
export function translateModule(dictionary) {
  function translate(template, replacements) {
    replacements = replacements || {};
    const text = Object.prototype.hasOwnProperty.call(dictionary, template) ? dictionary[template] : template;
    return text.replace(/{([^}]+)}/g, (match, key) => (key in replacements ? replacements[key] : match));
  }
  return { translate: ["value", translate] };
}

const statusEl = document.getElementById("status");

export function setStatus(text, kind) {
  if (!statusEl) return;
  statusEl.textContent = text;
  statusEl.className = "modeler-status" + (kind ? " " + kind : "");
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
export { el };

// The list of problems; `focus(id)` shows an element of the draft.
export function showProblems(problems, lint, focus) {
  const panel = document.getElementById("problems-panel");
  const list = document.getElementById("problems");
  const notice = document.getElementById("lint-notice");
  panel.hidden = false;
  list.replaceChildren();
  if (notice) {
    notice.hidden = !(lint && lint.notice);
    notice.textContent = lint && lint.notice ? lint.notice : "";
  }
  if (!problems.length) {
    list.append(el("li", { className: "ok" }, "没有发现问题：可以部署。" +
      (lint && lint.available ? "（含 bpmnlint 检查）" : "")));
    return;
  }
  for (const p of problems) {
    const where = p.in_draft ? (p.element_id || "整个文件") : `${p.file}${p.element_id ? " · " + p.element_id : ""}（其他文件）`;
    const whereNode = p.in_draft && p.element_id
      ? el("a", { role: "button", tabindex: "0", "data-element": p.element_id }, where)
      : where;
    if (whereNode instanceof Node) {
      whereNode.addEventListener("click", () => focus(p.element_id));
    }
    list.append(el("li", { className: p.in_draft ? "" : "other-file", "data-element-id": p.element_id || "" },
      el("div", { className: "where" }, whereNode), el("div", {}, p.reason)));
  }
}

const KIND_LABELS = { added: "新增", changed: "修改", removed: "删除" };

export function showDiff(diff, version, focus) {
  const panel = document.getElementById("diff-panel");
  const list = document.getElementById("diff");
  panel.hidden = false;
  if (version) document.getElementById("diff-version").textContent = version;
  list.replaceChildren();
  if (!diff) {
    list.append(el("li", {}, "无法比较：草稿的 XML 无法读取。"));
    return;
  }
  if (diff.empty) {
    list.append(el("li", { className: "muted" }, "与现行版本没有差异。"));
    return;
  }
  for (const kind of ["added", "changed", "removed"]) {
    for (const change of diff[kind]) {
      const label = `${change.name || change.id}`;
      const target = kind === "removed" ? label : el("a", { role: "button", tabindex: "0" }, label);
      if (kind !== "removed") target.addEventListener("click", () => focus(change.id));
      list.append(el("li", { "data-kind": kind, "data-element-id": change.id },
        el("span", { className: "diff-kind " + kind }, KIND_LABELS[kind]), " ", target,
        el("div", { className: "where" }, `${change.type} · ${change.id}`),
        el("div", { className: "small" }, change.details.join("；"))));
    }
  }
}

// Deploy: confirm, send, then go to the page of the new version (or show why not).
export async function deployXml(xml, onProblems) {
  if (!window.confirm("部署后，新发起的事项将使用新版本；办理中的事项仍按原版本办理。确定部署？")) return;
  setStatus("正在部署…");
  const { data } = await post(config.urls.deploy, { xml, baseVersion: config.baseVersion });
  if (data.ok) {
    setStatus(data.message, "ok");
    markDirty(false);
    if (data.redirect) window.location.href = data.redirect;
    return;
  }
  setStatus(data.message || "部署被拒绝。", "error");
  onProblems(data.problems || [], null);
}

export async function saveDraft(xml) {
  setStatus("正在保存草稿…");
  const { data } = await post(config.urls.draft, { xml, baseVersion: config.baseVersion });
  setStatus(data.message || (data.ok ? "草稿已保存。" : "草稿未保存。"), data.ok ? "ok" : "error");
  if (data.ok) markDirty(false);
  return data.ok;
}

// Leaving with unsaved edits asks first.
let dirty = false;
export function markDirty(value) {
  dirty = value;
}
window.addEventListener("beforeunload", (event) => {
  if (dirty) {
    event.preventDefault();
    event.returnValue = "";
  }
});
