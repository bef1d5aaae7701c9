/* The live preview of the reply letter on a task page (templates/task.html, webapp/web/letter_preview.py).
   While the user types, the form's current fields are posted (debounced, with the form's CSRF token)
   and the letter's HTML replaces the preview; a newer request wins over an older one still on its way.
   "下载预览稿（Word）" posts the same fields and saves the .docx the server returns. Nothing is saved. */
(function () {
  "use strict";
  var DELAY_MS = 400;
  var panel = document.querySelector("[data-letter-preview]");
  var form = document.querySelector("form.task-form");
  if (!panel || !form || !window.fetch) return;
  var box = panel.querySelector("[data-letter-box]");
  var status = panel.querySelector("[data-letter-status]");
  var download = panel.querySelector("[data-letter-docx]");
  var timer = null;
  var latest = 0;
  var controller = null;

  function fields() {
    var data = new FormData(form);
    // Attachments are not part of the letter: never send files with a preview.
    form.querySelectorAll("input[type=file]").forEach(function (input) { data.delete(input.name); });
    return data;
  }

  function post(url, signal) {
    return fetch(url, { method: "POST", body: fields(), credentials: "same-origin", signal: signal,
                        headers: { "X-Requested-With": "fetch" } });
  }

  function message(text) {
    var div = document.createElement("div");
    div.className = "letter-preview-error";
    div.setAttribute("role", "alert");
    div.textContent = text;
    box.replaceChildren(div);
  }

  function failure(response) {
    if (response.status === 400) return "页面已过期（安全令牌失效），请刷新页面后再预览。";
    if (response.status === 403) return "您无权查看该任务的答复函预览。";
    if (response.status === 404) return "该任务不存在或没有答复函预览。";
    return "预览暂时无法生成（服务器返回 " + response.status + "），请稍后重试。";
  }

  function refresh() {
    timer = null;
    var mine = ++latest;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    panel.setAttribute("aria-busy", "true");
    status.textContent = "正在更新预览…";
    post(panel.dataset.url, controller && controller.signal).then(function (response) {
      return response.text().then(function (text) {
        if (mine !== latest) return;
        if (response.ok || response.status === 422) {
          box.innerHTML = text;  // the server's HTML: every value in it is escaped there
          status.textContent = response.ok ? "已按当前填写内容更新（未保存）" : "无法预览";
        } else {
          message(failure(response));
          status.textContent = "无法预览";
        }
        panel.dataset.version = String(mine);
      });
    }).catch(function (error) {
      if (error && error.name === "AbortError") return;
      if (mine !== latest) return;
      message("网络连接中断，预览未能更新。恢复后继续输入即可重试。");
      status.textContent = "无法预览";
    }).then(function () {
      if (mine === latest) panel.removeAttribute("aria-busy");
    });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(refresh, DELAY_MS);
  }

  function filename(response) {
    var header = response.headers.get("Content-Disposition") || "";
    var star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) return decodeURIComponent(star[1]);
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : "答复函（预览稿）.docx";
  }

  function save() {
    download.disabled = true;
    status.textContent = "正在生成 Word 预览稿…";
    post(panel.dataset.docxUrl).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) {
          if (response.status === 422) box.innerHTML = text; else message(failure(response));
          status.textContent = "无法生成预览稿";
        });
      }
      return response.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var link = document.createElement("a");
        link.href = url;
        link.download = filename(response);
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
        status.textContent = "已下载预览稿（未保存到事项）";
      });
    }).catch(function () {
      message("网络连接中断，预览稿未能下载，请稍后重试。");
    }).then(function () { download.disabled = false; });
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  if (download) download.addEventListener("click", save);
  refresh();
})();
