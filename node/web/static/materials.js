// The TwinSpace's Materials tab: files dropped on the form, and an upload
// with a progress bar. Without this script the form posts as it is.
"use strict";
(function () {
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = document.getElementById("files");
  var zone = document.getElementById("drop-zone");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");

  function stop(e) { e.preventDefault(); e.stopPropagation(); }
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { stop(e); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { stop(e); zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      send();
    }
  });

  function show(lines) {
    status.textContent = "";
    lines.forEach(function (l) {
      var p = document.createElement("p");
      p.textContent = l;
      status.appendChild(p);
    });
  }

  function send() {
    var data = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    show([form.dataset.sending]);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
    });
    xhr.addEventListener("load", function () {
      var out;
      try { out = JSON.parse(xhr.responseText); } catch (err) { out = null; }
      if (!out) { show([form.dataset.failed]); return; }
      bar.value = 100;
      if (!out.files || (out.errors && out.errors.length)) {
        if (!out.errors || !out.errors.length) { show([form.dataset.failed]); return; }
        show(out.errors);
        if (out.files && out.files.length && out.next) {
          var a = document.createElement("a");
          a.href = out.next;
          a.textContent = form.dataset.done;
          status.appendChild(a);
        }
        return;
      }
      window.location.assign(out.next + "&done=uploaded");
    });
    xhr.addEventListener("error", function () { show([form.dataset.failed]); });
    xhr.send(data);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    send();
  });
})();
