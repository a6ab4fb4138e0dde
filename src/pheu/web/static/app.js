// Phễu pages: toasts (from HTMX response headers or flashed by the server), HTMX error feedback,
// and the "reason required" hint on the move-stage form. No framework; Bootstrap and HTMX do the rest.
(function () {
  "use strict";

  function showToast(level, message) {
    var template = document.getElementById("toast-template");
    var container = document.getElementById("toasts");
    if (!template || !container || !message) return;
    var node = template.content.firstElementChild.cloneNode(true);
    var ok = level === "success";
    node.classList.add(ok ? "toast-success" : "toast-danger");
    node.setAttribute("role", ok ? "status" : "alert");
    node.querySelector(".toast-icon").classList.add(ok ? "bi-check-circle-fill" : "bi-exclamation-triangle-fill");
    node.querySelector(".toast-text").textContent = message;
    container.appendChild(node);
    startToast(node, ok);
  }

  function startToast(node, ok) {
    var toast = bootstrap.Toast.getOrCreateInstance(node, { delay: ok ? 4000 : 8000 });
    node.addEventListener("hidden.bs.toast", function () { node.remove(); });
    toast.show();
  }

  function syncReason(root) {
    var forms = root.matches && root.matches("form[data-move-form]")
      ? [root] : root.querySelectorAll("form[data-move-form]");
    forms.forEach(function (form) {
      var select = form.querySelector("select[name=stage]");
      var reason = form.querySelector("textarea[name=reason]");
      if (!select || !reason) return;
      var option = select.options[select.selectedIndex];
      var needed = !!(option && option.dataset.needsReason);
      reason.required = needed;
      form.querySelectorAll("[data-reason-mark]").forEach(function (mark) { mark.hidden = !needed; });
    });
  }

  // Stage chips of the other pipeline are hidden and cleared when a pipeline is chosen. Runs in the capture
  // phase, before HTMX reads the form for the request the same change triggers.
  function syncKind(form) {
    var kind = form.querySelector("select[name=kind]").value;
    form.querySelectorAll("[data-kind-group]").forEach(function (group) {
      var hide = !!kind && group.dataset.kindGroup !== kind;
      group.hidden = hide;
      if (hide) group.querySelectorAll("input").forEach(function (input) { input.checked = false; });
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("#lead-filters select[name=kind]")) syncKind(event.target.form);
  }, true);

  // A column header sorts by link, outside the filter form: keep the form's sort select in step so the
  // next filter change does not undo the new order.
  document.addEventListener("htmx:afterSwap", function () {
    var count = document.getElementById("lead-count");
    var select = document.querySelector("#lead-filters select[name=sort]");
    if (count && select && count.dataset.sort && select.value !== count.dataset.sort) {
      select.value = count.dataset.sort;
    }
  });

  document.querySelectorAll("#toasts .toast").forEach(function (node) {
    startToast(node, node.classList.contains("toast-success"));
  });
  syncReason(document);

  document.addEventListener("pheu:toast", function (event) {
    showToast(event.detail.level, event.detail.message);
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (!event.detail.xhr.getResponseHeader("HX-Trigger")) showToast("danger", document.body.dataset.msgError);
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("danger", document.body.dataset.msgOffline);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("form[data-move-form] select[name=stage]")) syncReason(event.target.form);
  });
  document.addEventListener("htmx:afterSettle", function (event) { syncReason(event.target); });
})();
