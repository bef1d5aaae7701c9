// The batch import's status page: poll the status while the import runs, then show the final page.
(function () {
  var box = document.querySelector(".import-progress[data-status-url]");
  if (!box || box.getAttribute("data-status") !== "running" || !window.fetch) return;
  var bar = box.querySelector("[data-role=bar]");
  var count = box.querySelector("[data-role=count]");
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (s) {
        if (s.status !== "running") { window.location.reload(); return; }
        bar.max = s.total || 1;
        bar.value = s.done;
        count.textContent = "正在导入：" + s.done + " / " + s.total + "（" + s.percent + "%）。全部完成前，已处理的事项不会出现在列表中。";
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
