// The TwinSpace's chat, live (node/twinspace/chat). Without this file the
// page works as a plain form; with it, messages are posted through the
// JSON API and the page's event stream appends them (each already
// rendered by the node in the reader's language) and takes removed ones
// away, on every open page of every partner node. Any failure falls back
// to the plain form, whose answer says what went wrong.
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  var src = log && log.getAttribute("data-events");
  if (!src || !window.EventSource || !window.fetch) {
    return;
  }
  var form = document.getElementById("chat-form");
  // The page's CSRF token: streamed messages are rendered once for many
  // readers, without it.
  var token = "";
  document.querySelectorAll("input[name=csrf]").forEach(function (i) { token = token || i.value; });

  function find(id) {
    for (var el = log.firstElementChild; el; el = el.nextElementSibling) {
      if (el.getAttribute("data-id") === id) {
        return el;
      }
    }
    return null;
  }
  function put(ev) {
    var t = document.createElement("template");
    t.innerHTML = ev.html;
    var li = t.content.firstElementChild;
    if (!li) {
      return;
    }
    li.querySelectorAll("input[name=csrf]").forEach(function (i) { i.value = token; });
    var old = find(ev.id);
    if (old) {
      old.replaceWith(li);
    } else {
      log.appendChild(li);
    }
    var empty = document.getElementById("chat-empty");
    if (empty) {
      empty.remove();
    }
  }
  function drop(id) {
    var el = find(id);
    if (el) {
      el.remove();
    }
  }

  var es = new EventSource(src);
  es.addEventListener("message", function (e) { put(JSON.parse(e.data)); });
  es.addEventListener("remove", function (e) { drop(JSON.parse(e.data).id); });
  es.addEventListener("reload", function () { es.close(); window.location.reload(); });

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) {
        throw new Error(String(r.status));
      }
    });
  }

  if (form) {
    form.addEventListener("submit", function (e) {
      var box = form.elements.namedItem("content");
      if (!box.value.trim()) {
        return; // the plain form's answer says what to write
      }
      e.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      post(form.getAttribute("data-api"), {id: form.elements.namedItem("id").value, content: box.value})
        .then(function () { box.value = ""; box.focus(); }, function () { form.submit(); })
        .then(function () { button.disabled = false; });
    });
  }
  log.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f.classList.contains("chat-remove")) {
      return;
    }
    e.preventDefault();
    var id = f.elements.namedItem("message").value;
    post("/api/v1/twinspace/chat/remove", {id: f.elements.namedItem("id").value, message: id})
      .then(function () { drop(id); }, function () { f.submit(); });
  });
}());
