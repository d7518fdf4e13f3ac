// gestura browser demo: webcam -> JPEG frames over /v1/stream -> skeleton, gesture, command; presenter beside it.
// State for tests and debugging lives in window.gestura.
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const $ = (id) => document.getElementById(id);
  const video = $("video"), overlay = $("overlay"), ctx = overlay.getContext("2d");
  const grab = document.createElement("canvas");
  const FRAME_W = 320, FRAME_H = 240, MAX_FPS = 15;
  const state = window.gestura = {
    frames: 0, replies: 0, handFrames: 0, errors: [], lastTop: null, lastGesture: null, lastCommand: null,
    gestures: [], running: false, edges: {}, wsOpen: false,
  };
  let ws = null, stream = null, inFlight = false, sentAt = 0, timer = null;
  $("apikey").value = params.get("api_key") || "";

  function setStatus(text) { $("status").textContent = text; }

  fetch("/healthz").then((r) => r.json()).then((h) => {
    $("model").textContent = `${h.model} (${h.engine}) - ${h.labels.length} classes, window ${h.window}`;
  }).catch(() => { $("model").textContent = "model info unavailable"; });
  fetch("/v1/skeletons").then((r) => r.json()).then((s) => { state.edges = s; });
  fetch("/v1/gestures").then((r) => r.json()).then((g) => {
    state.gestureList = g.gestures;
    // The key box only when the service wants a key (or one came in the URL).
    $("keybox").hidden = !(g.api_key_required || params.get("api_key"));
    const ul = $("gestures");
    ul.innerHTML = "";
    for (const row of g.gestures) {
      const li = document.createElement("li");
      li.innerHTML = (typeof iconSvg === "function" ? iconSvg(row.icon) : "") + "<span><b></b> \u2192 <span></span></span>";
      li.querySelector("b").textContent = row.gesture;
      li.querySelector("span span").textContent = row.action;
      ul.appendChild(li);
    }
  }).catch(() => { $("gestures").textContent = "gesture list unavailable"; });

  async function start() {
    if (state.running) return;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    } catch (err) {
      setStatus("camera unavailable: " + err.name);
      state.errors.push("camera: " + err.name);
      return;
    }
    video.srcObject = stream;
    video.play().catch(() => {});  // not awaited: a hidden headless tab may never resolve it
    const key = $("apikey").value;
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/stream" +
      (key ? "?api_key=" + encodeURIComponent(key) : "");
    ws = new WebSocket(url);
    ws.onopen = () => { state.wsOpen = true; setStatus("streaming"); };
    ws.onclose = (ev) => { state.wsOpen = false; inFlight = false; setStatus(`stream closed (${ev.code} ${ev.reason})`); };
    ws.onmessage = (ev) => onReply(JSON.parse(ev.data));
    state.running = true;
    $("start").disabled = true; $("stop").disabled = false;
    timer = setInterval(sendFrame, 1000 / MAX_FPS);
  }

  function stop() {
    state.running = false;
    clearInterval(timer);
    if (ws) ws.close();
    if (stream) stream.getTracks().forEach((t) => t.stop());
    $("start").disabled = false; $("stop").disabled = true;
    setStatus("stopped");
  }

  function sendFrame() {
    // One frame in flight at a time: a slow server lowers the frame rate instead of building a backlog.
    if (!ws || ws.readyState !== WebSocket.OPEN || inFlight || video.readyState < 2) return;
    grab.width = FRAME_W; grab.height = FRAME_H;
    grab.getContext("2d").drawImage(video, 0, 0, FRAME_W, FRAME_H);
    inFlight = true;
    grab.toBlob((blob) => {
      if (!blob || ws.readyState !== WebSocket.OPEN) { inFlight = false; return; }
      sentAt = performance.now();
      ws.send(blob);
      state.frames += 1;
    }, "image/jpeg", 0.75);
  }

  function onReply(msg) {
    inFlight = false;
    if (msg.type === "error") { state.errors.push(msg.detail); setStatus("error: " + msg.detail); return; }
    if (msg.type !== "frame") return;
    state.replies += 1;
    $("frames").textContent = state.replies;
    $("server_ms").textContent = (msg.server_ms || 0).toFixed(1);
    $("rtt_ms").textContent = (performance.now() - sentAt).toFixed(0);
    if (msg.hand) state.handFrames += 1;
    $("hand").textContent = msg.hand ? "detected" : "no hand";
    $("hand").dataset.state = msg.hand ? "detected" : "none";
    if (msg.top) {
      state.lastTop = msg.top;
      $("top").textContent = `${msg.top.label} ${(msg.top.score * 100).toFixed(0)}%`;
    }
    if (msg.prediction) {
      state.lastGesture = msg.prediction;
      state.gestures.push(msg.prediction.label);
      $("gesture").textContent = `${msg.prediction.label} (${(msg.prediction.score * 100).toFixed(0)}%)`;
    }
    if (msg.command) { state.lastCommand = msg.command; $("command").textContent = msg.command; }
    draw(msg.landmarks || {});
  }

  function draw(landmarks) {
    overlay.width = overlay.clientWidth; overlay.height = overlay.clientHeight;
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    const W = overlay.width, H = overlay.height;
    for (const [name, pts] of Object.entries(landmarks)) {
      // The server mirrors frames before tracking, like the mirrored <video>, so x maps straight onto it.
      ctx.strokeStyle = name === "left_hand" ? "#4fc3f7" : "#ffb74d";
      ctx.lineWidth = 3;
      for (const [a, b] of state.edges[name] || []) {
        ctx.beginPath();
        ctx.moveTo(pts[a][0] * W, pts[a][1] * H);
        ctx.lineTo(pts[b][0] * W, pts[b][1] * H);
        ctx.stroke();
      }
      ctx.fillStyle = "#fff";
      for (const p of pts) { ctx.beginPath(); ctx.arc(p[0] * W, p[1] * H, 3, 0, 2 * Math.PI); ctx.fill(); }
    }
  }

  $("start").onclick = start;
  $("stop").onclick = stop;
  if (params.get("autostart") === "1") start();
})();
