/* Phễu form embed.
 *
 *   <script src="https://pheu.example.vn/static/embed.js" data-form="uu-dai-tet" async></script>
 *
 * Renders the form where the script tag stands, in the host page's own fonts and width, and posts it as JSON
 * (the form's endpoint allows any origin and never uses cookies). data-mode="iframe" shows the hosted page in
 * an iframe instead, grown to fit its content. data-lang="en" switches the texts Phễu adds (errors, buttons).
 * The host page's UTM tags, address and referrer go with every submission. No dependencies.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.dataset.form) return;
  var slug = script.dataset.form;
  var base = new URL(script.src, window.location.href).origin;
  var lang = script.dataset.lang || "";
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var STYLE =
    ".pheu-form{font:inherit;color:inherit;max-width:36rem}" +
    ".pheu-form h3{margin:0 0 .35em;font-size:1.35em}" +
    ".pheu-form .pheu-desc{margin:0 0 1em;white-space:pre-line;opacity:.85}" +
    ".pheu-form .pheu-field{margin:0 0 .9em}" +
    ".pheu-form label{display:block;font-weight:600;margin:0 0 .3em}" +
    ".pheu-form input[type=text],.pheu-form input[type=email],.pheu-form input[type=tel],.pheu-form textarea" +
    "{box-sizing:border-box;width:100%;font:inherit;padding:.6em .75em;border:1px solid #cbd6e2;border-radius:.5em;background:#fff;color:#213343}" +
    ".pheu-form input:focus,.pheu-form textarea:focus{outline:2px solid #0076be;outline-offset:1px}" +
    ".pheu-form [aria-invalid=true]{border-color:#c23616}" +
    ".pheu-form .pheu-error{color:#c23616;font-size:.875em;margin-top:.25em}" +
    ".pheu-form .pheu-req{color:#ff5c35}" +
    ".pheu-form .pheu-consent{background:rgba(33,51,67,.05);border-radius:.6em;padding:.75em .9em;margin:0 0 1em;font-size:.92em}" +
    ".pheu-form .pheu-consent label{display:flex;gap:.5em;align-items:flex-start;font-weight:400;margin:.25em 0}" +
    ".pheu-form .pheu-consent p{margin:0 0 .4em;white-space:pre-line}" +
    ".pheu-form button{font:inherit;font-weight:600;width:100%;padding:.75em 1em;border:0;border-radius:.6em;background:#ff5c35;color:#fff;cursor:pointer}" +
    ".pheu-form button:hover{background:#e54b26}.pheu-form button:disabled{opacity:.65;cursor:wait}" +
    ".pheu-form .pheu-hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}" +
    ".pheu-form .pheu-status{margin-top:.75em}.pheu-form .pheu-status.is-error{color:#c23616}" +
    ".pheu-done{padding:1.5em;border-radius:.75em;background:rgba(0,163,141,.08);white-space:pre-line}";

  var mount = document.createElement("div");
  mount.className = "pheu-embed";
  script.parentNode.insertBefore(mount, script);

  function hostOrigin() {
    var params = new URLSearchParams(window.location.search);
    var out = {};
    UTM.forEach(function (key) { if (params.get(key)) out[key] = params.get(key); });
    out.landing_page = window.location.href;
    if (document.referrer) out.referrer = document.referrer;
    return out;
  }

  function withLang(path) {
    return base + path + (lang ? (path.indexOf("?") < 0 ? "?" : "&") + "lang=" + encodeURIComponent(lang) : "");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function showIframe() {
    var params = new URLSearchParams(hostOrigin());
    params.set("embed", "1");
    if (lang) params.set("lang", lang);
    var frame = el("iframe");
    frame.src = base + "/f/" + encodeURIComponent(slug) + "?" + params.toString();
    frame.title = script.dataset.title || slug;
    frame.style.cssText = "width:100%;border:0;display:block";
    frame.height = "720";
    frame.loading = "lazy";
    window.addEventListener("message", function (event) {
      if (event.source !== frame.contentWindow || event.origin !== base) return;
      if (event.data && event.data.type === "pheu:form-height") frame.height = String(Math.ceil(event.data.height) + 2);
    });
    mount.appendChild(frame);
  }

  function addStyle() {
    if (document.getElementById("pheu-embed-style")) return;
    var style = el("style");
    style.id = "pheu-embed-style";
    style.textContent = STYLE;
    document.head.appendChild(style);
  }

  function fieldInput(field, id) {
    var input = field.type === "textarea" ? el("textarea") : el("input");
    if (field.type === "textarea") input.rows = 3; else input.type = field.type;
    input.id = id;
    input.name = field.name;
    input.required = !!field.required;
    input.maxLength = field.type === "textarea" ? 4000 : 254;
    var auto = { full_name: "name", email: "email", phone: "tel", company: "organization", job_title: "organization-title" };
    if (auto[field.name]) input.autocomplete = auto[field.name];
    return input;
  }

  function render(schema) {
    var token = schema.token;
    var form = el("form", "pheu-form");
    var errors = {};
    form.appendChild(el("h3", "", schema.title));
    if (schema.description) form.appendChild(el("p", "pheu-desc", schema.description));
    var hp = el("div", "pheu-hp");
    hp.setAttribute("aria-hidden", "true");
    var trap = el("input");
    trap.type = "text";
    trap.name = schema.honeypot;
    trap.tabIndex = -1;
    trap.autocomplete = "off";
    hp.appendChild(trap);
    form.appendChild(hp);
    schema.fields.forEach(function (field) {
      var id = "pheu-" + schema.slug + "-" + field.name;
      var wrap = el("div", "pheu-field");
      var label = el("label", "", field.label);
      label.htmlFor = id;
      if (field.required) label.appendChild(el("span", "pheu-req", " *"));
      var input = fieldInput(field, id);
      var error = el("div", "pheu-error");
      error.id = id + "-error";
      error.hidden = true;
      wrap.appendChild(label);
      wrap.appendChild(input);
      wrap.appendChild(error);
      form.appendChild(wrap);
      errors[field.name] = { input: input, node: error };
    });
    var boxes = [];
    if (schema.consent) {
      var consent = el("div", "pheu-consent");
      var single = schema.consent.purposes.length === 1;
      if (!single) consent.appendChild(el("p", "", schema.consent.text));
      schema.consent.purposes.forEach(function (purpose) {
        var row = el("label");
        var box = el("input");
        box.type = "checkbox";
        box.value = purpose.code;
        boxes.push(box);
        row.appendChild(box);
        row.appendChild(el("span", "", single ? schema.consent.text : purpose.label));
        consent.appendChild(row);
      });
      form.appendChild(consent);
    }
    var button = el("button", "", schema.submit_label);
    button.type = "submit";
    form.appendChild(button);
    var status = el("div", "pheu-status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(status);

    function clearErrors() {
      status.textContent = "";
      status.classList.remove("is-error");
      Object.keys(errors).forEach(function (name) {
        errors[name].node.hidden = true;
        errors[name].input.removeAttribute("aria-invalid");
      });
    }

    function showErrors(list) {
      var first = null;
      (list || []).forEach(function (problem) {
        var target = errors[problem.field];
        if (!target) {
          status.textContent = problem.message;
          status.classList.add("is-error");
          return;
        }
        target.node.textContent = problem.message;
        target.node.hidden = false;
        target.input.setAttribute("aria-invalid", "true");
        target.input.setAttribute("aria-describedby", target.node.id);
        first = first || target.input;
      });
      if (first) first.focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors();
      var body = hostOrigin();
      Object.keys(errors).forEach(function (name) { body[name] = errors[name].input.value; });
      body[schema.honeypot] = trap.value;
      body[schema.token_field] = token;
      body.consent = boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
      button.disabled = true;
      fetch(withLang(schema.submit_url), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "omit"
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (result.ok) {
          if (result.data.redirect_url) { window.location.href = result.data.redirect_url; return; }
          var done = el("div", "pheu-done", result.data.message);
          done.setAttribute("role", "status");
          form.replaceWith(done);
          return;
        }
        if (result.data[schema.token_field]) token = result.data[schema.token_field];
        showErrors(result.data.errors);
        button.disabled = false;
      }).catch(function () {
        status.textContent = schema.messages.offline;
        status.classList.add("is-error");
        button.disabled = false;
      });
    });
    mount.appendChild(form);
  }

  if (script.dataset.mode === "iframe") {
    showIframe();
    return;
  }
  addStyle();
  fetch(withLang("/f/" + encodeURIComponent(slug) + "/schema"), { credentials: "omit" })
    .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
    .then(render, showIframe);
})();
