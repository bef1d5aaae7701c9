// The item page's process diagram: bpmn-js's NavigatedViewer (camunda-bpmn-js, from node_modules) shows
// each process of the item (the main process, each unit's called processes) in a tab, with the
// current steps, the waiting events and the completed steps marked (data from diagram.json).
(function () {
  "use strict";
  var section = document.getElementById("diagram");
  if (!section || !window.BpmnNavigatedViewer || !window.fetch) return;
  var tabsBox = section.querySelector(".diagram-tabs");
  var canvases = section.querySelector(".diagram-canvases");
  var status = section.querySelector(".diagram-status");
  var MARKERS = { current: "diagram-current", waiting: "diagram-waiting", completed: "diagram-completed" };

  function show(data, tab, box) {
    var viewer = new window.BpmnNavigatedViewer({ container: box });
    return viewer.importXML(data.files[tab.file]).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      Object.keys(MARKERS).forEach(function (kind) {
        tab[kind].forEach(function (id) {
          if (registry.get(id)) canvas.addMarker(id, MARKERS[kind]);
        });
      });
      // A step inside a collapsed sub-process (e.g. 办理与答复) is drawn on its own plane: open the
      // plane of the first current step there (the breadcrumbs lead back up).
      var inner = tab.current.map(function (id) { return registry.get(id); }).filter(function (element) {
        return element && !(element.type === "bpmn:SubProcess" || element.type === "bpmn:CallActivity") &&
          canvas.findRoot(element) !== canvas.getRootElement();
      })[0];
      if (inner) canvas.setRootElement(canvas.findRoot(inner));
      canvas.zoom("fit-viewport", "auto");
      box.setAttribute("data-rendered", "true");
    });
  }

  function activate(data, tab, button) {
    tabsBox.querySelectorAll(".tab").forEach(function (b) {
      var on = b === button;
      b.classList.toggle("active", on);
      b.setAttribute("aria-selected", on ? "true" : "false");
    });
    canvases.querySelectorAll(".diagram-canvas").forEach(function (c) { c.hidden = c.id !== "diagram-" + tab.id; });
    var box = document.getElementById("diagram-" + tab.id);
    if (box.getAttribute("data-loading")) return;
    box.setAttribute("data-loading", "true");
    status.textContent = "";
    show(data, tab, box).catch(function (error) {
      status.textContent = "流程图无法显示：" + (error && error.message ? error.message : error);
    });
  }

  fetch(section.getAttribute("data-source"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (data) {
      if (!data.tabs.length) { section.hidden = true; return; }
      var first = null, firstButton = null;
      data.tabs.forEach(function (tab) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "tab";
        button.setAttribute("role", "tab");
        button.setAttribute("data-process", tab.process);
        button.textContent = tab.label + (tab.status === "completed" ? "（已完成）" : "");
        if (tab.current.length) {
          var count = document.createElement("span");
          count.className = "count";
          count.textContent = tab.current.length;
          count.title = "当前环节数";
          button.appendChild(count);
        }
        button.addEventListener("click", function () { activate(data, tab, button); });
        tabsBox.appendChild(button);
        var box = document.createElement("div");
        box.className = "diagram-canvas";
        box.id = "diagram-" + tab.id;
        box.hidden = true;
        canvases.appendChild(box);
        // Open the first called process with something to do (e.g. a unit's handling), else the main one.
        if (!first && tab !== data.tabs[0] && tab.current.length && tab.status === "running") {
          first = tab; firstButton = button;
        }
      });
      if (!first) { first = data.tabs[0]; firstButton = tabsBox.querySelector(".tab"); }
      status.textContent = "";
      activate(data, first, firstButton);
    })
    .catch(function (error) {
      status.textContent = "流程图无法加载（" + error.message + "），请参看上方的当前待办。";
    });
})();
