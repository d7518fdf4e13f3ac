// gestura web presenter: shows slides, applies commands, draws the laser pointer and pen strokes, and (for
// `gestura present`) a side panel with the camera preview, armed/idle state, last command and gesture legend.

function keyQuery() {
  const key = new URLSearchParams(location.search).get("api_key");
  return key ? "?api_key=" + encodeURIComponent(key) : "";
}
// State is exposed as window.presenter for tests and for the serving page that embeds this presenter.
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const state = { slide: 0, count: 0, presenting: true, zoom: 1, commands: [], lastCommand: null,
                  pointer: { visible: false, x: 0, y: 0 }, strokes: 0, connected: false, previews: 0, handPreviews: 0,
                  armed: "idle", legend: [], panel: false, note: "" };
  window.presenter = state;
  const $ = (id) => document.getElementById(id);
  const img = $("slide"), ink = $("ink"), dot = $("pointer"), frame = $("frame"), status = $("status");
  const ctx = ink.getContext("2d");
  const hand = $("hand"), hctx = hand.getContext("2d");
  let slides = [];
  let pen = null;
  let config = { legend: [], resume_hint: "swipe up to resume", panel: false, edges: [] };
  let socket = null;

  function show(i) {
    if (!slides.length) return;
    state.slide = Math.max(0, Math.min(slides.length - 1, i));
    img.src = slides[state.slide];
    clearInk();
    render();
  }
  function gestureOf(command) {
    const row = state.legend.find((r) => r.command === command);
    return row ? row.gesture : null;
  }
  function render() {
    frame.style.transform = "scale(" + state.zoom + ")";
    document.body.classList.toggle("stopped", !state.presenting);
    $("paused").textContent = "paused \u2014 " + config.resume_hint;
    const g = state.lastCommand && gestureOf(state.lastCommand);
    const last = state.lastCommand ? state.lastCommand.replace(/_/g, " ") + (g ? " (" + g + ")" : "") : null;
    status.textContent = "slide " + (state.slide + 1) + " / " + state.count + (last ? "  |  last: " + last : "") +
      (state.note ? "  |  " + state.note : "") + (state.connected ? "" : "  |  offline");
    $("lastcmd").textContent = last || "none yet";
  }
  function clearInk() { ctx.clearRect(0, 0, ink.width, ink.height); }
  function resizeInk() { ink.width = img.clientWidth || 1; ink.height = img.clientHeight || 1; }
  img.addEventListener("load", resizeInk);
  window.addEventListener("resize", () => { layout(); resizeInk(); });

  function layout() {
    state.panel = !!config.panel && params.get("panel") !== "0" && window.innerWidth >= 800;
    document.body.classList.toggle("panel", state.panel);
  }
  function legendShown() {
    const el = $("legend");
    const r = el.getBoundingClientRect();
    return state.panel && r.width > 0 && r.height > 0 ? el.children.length : 0;
  }
  function ack() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "ack", applied: state.commands.length, slide: state.slide,
        count: state.count, presenting: state.presenting, legend: legendShown(), previews: state.previews,
        paused_hint: state.presenting ? "" : $("paused").textContent }));
    }
  }

  const commands = {
    next_slide: () => show(state.slide + 1),
    previous_slide: () => show(state.slide - 1),
    // Start (or resume) presenting on the slide the audience sees now, never back at slide 1.
    start_presentation: () => { state.presenting = true;
      if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {}); },
    stop_presentation: () => { state.presenting = false;
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {}); },
    erase_annotations: () => { clearInk(); state.strokes = 0; },
    zoom_in_view: () => { state.zoom = Math.min(4, state.zoom * 1.25); },
    zoom_out_view: () => { state.zoom = Math.max(0.25, state.zoom / 1.25); },
  };

  function onPointer(m) {
    const x = m.x * ink.width, y = m.y * ink.height;
    if (m.kind === "laser") {
      state.pointer = { visible: true, x: m.x, y: m.y };
      dot.style.left = (m.x * 100) + "%"; dot.style.top = (m.y * 100) + "%"; dot.style.display = "block";
    } else if (m.kind === "laser_hide") {
      state.pointer.visible = false; dot.style.display = "none";
    } else if (m.kind === "pen_start") {
      pen = { x, y }; state.strokes += 1;
    } else if ((m.kind === "pen_move" || m.kind === "pen_end") && pen) {
      ctx.strokeStyle = "#ffeb3b"; ctx.lineWidth = 4; ctx.lineCap = "round";
      ctx.beginPath(); ctx.moveTo(pen.x, pen.y); ctx.lineTo(x, y); ctx.stroke();
      pen = m.kind === "pen_end" ? null : { x, y };
    }
  }

  function onPreview(m) {
    state.previews += 1;
    $("cam").hidden = false;  // only sources that send previews (gestura present) show the camera box
    if (Object.keys(m.hands || {}).length) state.handPreviews += 1;
    state.armed = m.state || "idle";
    const pill = $("armed");
    pill.dataset.state = state.armed;
    pill.textContent = state.armed === "armed" ? "armed: hand seen" : state.armed === "cooldown" ? "wait" : "idle: no hand";
    const camimg = $("camimg");
    if (m.jpeg) { camimg.src = "data:image/jpeg;base64," + m.jpeg; camimg.style.display = "block"; }
    else camimg.style.display = "none";
    const W = hand.width, H = hand.height;
    hctx.clearRect(0, 0, W, H);
    for (const pts of Object.values(m.hands || {})) {
      hctx.strokeStyle = "#7fd47f"; hctx.lineWidth = 3;
      for (const [a, b] of config.edges) {
        hctx.beginPath(); hctx.moveTo(pts[a][0] * W, pts[a][1] * H); hctx.lineTo(pts[b][0] * W, pts[b][1] * H); hctx.stroke();
      }
      hctx.fillStyle = "#fff";
      for (const p of pts) { hctx.beginPath(); hctx.arc(p[0] * W, p[1] * H, 3, 0, 2 * Math.PI); hctx.fill(); }
    }
  }

  function onMessage(m) {
    if (m.type === "command" && commands[m.command]) {
      commands[m.command]();
      state.lastCommand = m.command; state.commands.push(m.command);
      for (const li of $("legend").children) li.classList.toggle("fired", li.dataset.command === m.command);
      render();
      ack();
    } else if (m.type === "pointer") {
      onPointer(m);
    } else if (m.type === "preview") {
      onPreview(m);
    } else if (m.type === "status") {
      state.note = m.text || ""; render(); ack();
    }
  }
  state.handle = onMessage;

  function connect() {
    const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + base + "ws" + keyQuery());
    ws.onopen = () => { state.connected = true; render(); ack(); };
    ws.onmessage = (ev) => onMessage(JSON.parse(ev.data));
    ws.onclose = () => { state.connected = false; render(); setTimeout(connect, 1000); };
    state.socket = socket = ws;
  }

  // Keep the preview box at the camera's aspect ratio, so the hand drawn on the canvas sits on the picture.
  $("camimg").addEventListener("load", (ev) => {
    const im = ev.target;
    const h = Math.round(256 * im.naturalHeight / Math.max(1, im.naturalWidth));
    if (h > 0 && hand.height !== h) { hand.height = h; $("cam").style.height = h + "px"; }
  });

  function fillLegend() {
    const ul = $("legend");
    ul.innerHTML = "";
    for (const r of state.legend) {
      const li = document.createElement("li");
      li.dataset.command = r.command;
      li.innerHTML = iconSvg(r.icon) + '<span><span class="g"></span><br><span class="a"></span></span>';
      li.querySelector(".g").textContent = r.gesture;
      li.querySelector(".a").textContent = r.action;
      ul.appendChild(li);
    }
  }

  const gotConfig = fetch("api/config").then((r) => r.ok ? r.json() : config).catch(() => config).then((c) => {
    config = Object.assign(config, c); state.legend = config.legend || []; fillLegend(); layout();
  });
  const gotSlides = fetch("api/slides").then((r) => r.json()).then((d) => { slides = d.slides; state.count = d.count; });
  Promise.all([gotConfig, gotSlides]).then(() => { show(0); connect(); });
  document.addEventListener("keydown", (e) => {
    if (e.key === "ArrowRight") onMessage({ type: "command", command: "next_slide" });
    if (e.key === "ArrowLeft") onMessage({ type: "command", command: "previous_slide" });
  });
})();
