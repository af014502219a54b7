// Voice notes from the browser: when MediaRecorder can produce a type WhatsApp accepts (OGG/Opus
// in Firefox, MP4/AAC in Chromium and Safari), the send box shows "Gravar mensagem de voz". The
// recording becomes the form's file (flagged as voice) and the normal send path uploads it, so
// the server's type and size checks apply unchanged. Event delegation: the send box is swapped.
(function () {
  "use strict";

  var TYPES = [
    ["audio/ogg;codecs=opus", "ogg"],
    ["audio/ogg", "ogg"],
    ["audio/mp4", "m4a"],
    ["audio/mpeg", "mp3"]
  ];
  var state = { recorder: null, chunks: [], stream: null, started: 0, type: null };

  function supportedType() {
    if (!window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return null;
    for (var i = 0; i < TYPES.length; i++) {
      if (MediaRecorder.isTypeSupported(TYPES[i][0])) return TYPES[i];
    }
    return null;
  }

  function part(box, name) { return box.querySelector("[data-recorder-" + name + "]"); }

  function setup(root) {
    var type = supportedType();
    (root || document).querySelectorAll("[data-recorder]").forEach(function (box) {
      var controls = part(box, "controls");
      var file = part(box, "file");
      if (controls && type && file && !file.disabled) controls.hidden = false;
    });
  }

  function stopTracks() {
    if (state.stream) state.stream.getTracks().forEach(function (t) { t.stop(); });
    state.stream = null;
  }

  function start(box) {
    var type = supportedType();
    if (!type || state.recorder) return;
    var status = part(box, "status");
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      state.stream = stream;
      state.chunks = [];
      state.type = type;
      state.recorder = new MediaRecorder(stream, { mimeType: type[0] });
      state.recorder.addEventListener("dataavailable", function (ev) {
        if (ev.data && ev.data.size) state.chunks.push(ev.data);
      });
      state.recorder.addEventListener("stop", function () { finish(box); });
      state.recorder.start();
      state.started = Date.now();
      part(box, "start").hidden = true;
      part(box, "stop").hidden = false;
      if (status) status.textContent = "Gravando…";
    }).catch(function () {
      if (status) status.textContent = "Sem acesso ao microfone.";
    });
  }

  function finish(box) {
    var type = state.type;
    var seconds = Math.max(1, Math.round((Date.now() - state.started) / 1000));
    var blob = new Blob(state.chunks, { type: type[0].split(";")[0] });
    state.recorder = null;
    stopTracks();
    var file = new File([blob], "mensagem-de-voz." + type[1], { type: blob.type });
    var transfer = new DataTransfer();
    transfer.items.add(file);
    part(box, "file").files = transfer.files;
    var voice = part(box, "voice");
    if (voice) voice.checked = true;
    part(box, "start").hidden = false;
    part(box, "stop").hidden = true;
    var status = part(box, "status");
    if (status) status.textContent = "Gravação pronta (" + seconds + " s). Clique em Enviar.";
  }

  document.addEventListener("click", function (ev) {
    var target = ev.target instanceof Element ? ev.target : null;
    if (!target) return;
    var box = target.closest("[data-recorder]");
    if (!box) return;
    if (target.closest("[data-recorder-start]")) start(box);
    else if (target.closest("[data-recorder-stop]") && state.recorder) state.recorder.stop();
  });
  document.addEventListener("htmx:afterSwap", function (ev) { setup(ev.target); });
  window.addEventListener("pagehide", stopTracks);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setup(document); });
  } else {
    setup(document);
  }
})();
