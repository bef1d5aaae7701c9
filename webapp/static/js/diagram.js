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
  var viewers = {};   // tab id -> its viewer, once rendered
  var shown = null;   // the tab whose canvas is visible

  // Zoom buttons (a phone has no wheel) over the visible canvas; "适应" fits the whole diagram again.
  var controls = document.createElement("div");
  controls.className = "diagram-zoom";
  controls.setAttribute("role", "group");
  controls.setAttribute("aria-label", "缩放流程图");
  [["in", "放大", "+"], ["out", "缩小", "−"], ["fit", "适应窗口", "适应"]].forEach(function (b) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-small";
    button.setAttribute("data-zoom", b[0]);
    button.title = b[1];
    button.setAttribute("aria-label", b[1]);
    button.textContent = b[2];
    button.addEventListener("click", function () {
      var viewer = shown && viewers[shown.id];
      if (!viewer) return;
      var canvas = viewer.get("canvas");
      if (b[0] === "fit") canvas.zoom("fit-viewport", "auto");
      else canvas.zoom(canvas.zoom() * (b[0] === "in" ? 1.4 : 1 / 1.4));  // around the middle of the view
    });
    controls.appendChild(button);
  });
  section.querySelector(".diagram-head").appendChild(controls);

  // Touch: one finger moves the diagram, two fingers zoom it (the viewer itself only knows the mouse).
  function touchable(box, viewer) {
    var canvas = viewer.get("canvas");
    var last = null, spread = null;
    function distance(touches) {
      return Math.hypot(touches[0].clientX - touches[1].clientX, touches[0].clientY - touches[1].clientY);
    }
    box.addEventListener("touchstart", function (event) {
      if (event.touches.length === 1) { last = { x: event.touches[0].clientX, y: event.touches[0].clientY }; spread = null; }
      if (event.touches.length === 2) { spread = distance(event.touches); last = null; }
    }, { passive: true });
    box.addEventListener("touchmove", function (event) {
      if (event.touches.length === 1 && last) {
        var t = event.touches[0];
        canvas.scroll({ dx: t.clientX - last.x, dy: t.clientY - last.y });
        last = { x: t.clientX, y: t.clientY };
        event.preventDefault();
      } else if (event.touches.length === 2 && spread) {
        var now = distance(event.touches);
        var rect = box.getBoundingClientRect();
        var mid = {  // in the container's pixels, as canvas.zoom() takes its centre
          x: (event.touches[0].clientX + event.touches[1].clientX) / 2 - rect.left,
          y: (event.touches[0].clientY + event.touches[1].clientY) / 2 - rect.top
        };
        canvas.zoom(canvas.zoom() * now / spread, mid);
        spread = now;
        event.preventDefault();
      }
    }, { passive: false });
    box.addEventListener("touchend", function () { last = null; spread = null; }, { passive: true });
  }

  function show(data, tab, box) {
    var viewer = new window.BpmnNavigatedViewer({ container: box });
    viewers[tab.id] = viewer;
    touchable(box, viewer);
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
    shown = tab;
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
