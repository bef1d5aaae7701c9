// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function humanSize(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + " MB";
    if (n >= 1024) return Math.round(n / 1024) + " KB";
    return n + " 字节";
  }

  // The main navigation folds into a 菜单 button on narrow screens (css/responsive.css); without this
  // script the links simply wrap.
  var header = document.querySelector(".site-header");
  var navToggle = header && header.querySelector(".nav-toggle");
  if (navToggle) {
    header.classList.add("nav-collapsible");
    navToggle.hidden = false;
    navToggle.addEventListener("click", function () {
      var open = header.classList.toggle("nav-open");
      navToggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("nav-open")) {
        header.classList.remove("nav-open");
        navToggle.setAttribute("aria-expanded", "false");
        navToggle.focus();
      }
    });
  }

  // Ask before destructive actions (forms with data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // Files larger than the limit are refused before upload, so nothing typed in the form is lost.
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
      var file = input.files && input.files[0];
      if (file && limit && file.size > limit) {
        window.alert("文件“" + file.name + "”大小为 " + humanSize(file.size) + "，超过上限 " + humanSize(limit) + "，请重新选择。");
        input.value = "";
      }
    });
  });

  // Live character counters for fields with a maximum length.
  document.querySelectorAll(".help.counter[data-for]").forEach(function (counter) {
    var input = document.getElementById(counter.getAttribute("data-for"));
    if (!input) return;
    var max = parseInt(input.getAttribute("data-maxlength"), 10);
    function update() {
      var n = input.value.trim().length;
      counter.textContent = "已输入 " + n + " / " + max + " 个字";
      counter.classList.toggle("over", n > max);
    }
    input.addEventListener("input", update);
    update();
  });

  // Unit multi-select: filter by name and show how many are chosen.
  document.querySelectorAll(".unit-picker").forEach(function (picker) {
    var filter = picker.querySelector(".unit-filter");
    var count = picker.querySelector(".unit-count");
    var options = picker.querySelectorAll(".unit-option");
    if (filter) {
      filter.addEventListener("input", function () {
        var q = filter.value.trim().toLowerCase();
        options.forEach(function (option) {
          option.hidden = q !== "" && option.textContent.toLowerCase().indexOf(q) === -1;
        });
      });
      filter.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault();  // filtering must not submit the task
      });
    }
    picker.addEventListener("change", function () {
      if (count) count.textContent = picker.querySelectorAll("input[type=checkbox]:checked").length;
    });
  });

  // Notice templates: the preview follows what is typed (the server renders it; nothing is saved).
  document.querySelectorAll("form.template-form[data-preview-url]").forEach(function (form) {
    var panel = document.getElementById("preview");
    if (!panel || !window.fetch || !window.FormData) return;
    var timer = null, sequence = 0;
    function show(result) {
      var problems = panel.querySelector(".preview-problems");
      var list = problems.querySelector("ul");
      list.textContent = "";
      (result.problems || []).forEach(function (p) {
        var item = document.createElement("li");
        item.textContent = p;
        list.appendChild(item);
      });
      problems.hidden = !(result.problems || []).length;
      var unknown = panel.querySelector(".preview-unknown");
      unknown.hidden = !(result.unknown || []).length;
      unknown.querySelector(".mono").textContent = (result.unknown || []).join("、");
      panel.querySelector(".preview-subject").textContent = result.subject || "";
      panel.querySelector(".preview-body").textContent = result.body || "";
    }
    function refresh() {
      var mine = ++sequence;
      fetch(form.getAttribute("data-preview-url"), {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) { return response.json(); })
        .then(function (result) { if (mine === sequence) show(result); })
        .catch(function () { /* keep the last preview; the 预览 button still works */ });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
  });

  // An item page waiting for the worker's automatic steps reloads itself until its next task is there, but
  // never while the user is typing: nothing entered may be lost.
  var waiting = document.querySelector("[data-auto-refresh]");
  if (waiting) {
    var typed = false;
    document.addEventListener("input", function () { typed = true; });
    var seconds = parseInt(waiting.getAttribute("data-auto-refresh"), 10) || 3;
    setTimeout(function reload() {
      var active = document.activeElement;
      var busy = typed || (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName));
      if (!busy) { window.location.reload(); }
    }, seconds * 1000);
  }

  // Prevent double submission of the task form.
  document.querySelectorAll("form.task-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
      }
    });
  });
})();
