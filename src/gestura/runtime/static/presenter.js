// gestura web presenter: shows slides, applies commands, draws the laser pointer and pen strokes.

function keyQuery() {
  const key = new URLSearchParams(location.search).get("api_key");
  return key ? "?api_key=" + encodeURIComponent(key) : "";
}
// State is exposed as window.presenter for tests and for the serving page that embeds this presenter.
(function () {
  "use strict";
  const state = { slide: 0, count: 0, presenting: true, zoom: 1, commands: [], lastCommand: null,
                  pointer: { visible: false, x: 0, y: 0 }, strokes: 0, connected: false };
  window.presenter = state;
  const img = document.getElementById("slide");
  const ink = document.getElementById("ink");
  const dot = document.getElementById("pointer");
  const frame = document.getElementById("frame");
  const status = document.getElementById("status");
  const ctx = ink.getContext("2d");
  let slides = [];
  let pen = null;

  function show(i) {
    if (!slides.length) return;
    state.slide = Math.max(0, Math.min(slides.length - 1, i));
    img.src = slides[state.slide];
    clearInk();
    render();
  }
  function render() {
    frame.style.transform = "scale(" + state.zoom + ")";
    document.body.classList.toggle("stopped", !state.presenting);
    status.textContent = "slide " + (state.slide + 1) + " / " + state.count +
      (state.lastCommand ? "  |  last: " + state.lastCommand : "") + (state.connected ? "" : "  |  offline");
  }
  function clearInk() { ctx.clearRect(0, 0, ink.width, ink.height); }
  function resizeInk() { ink.width = img.clientWidth || 1; ink.height = img.clientHeight || 1; }
  img.addEventListener("load", resizeInk);
  window.addEventListener("resize", resizeInk);

  const commands = {
    next_slide: () => show(state.slide + 1),
    previous_slide: () => show(state.slide - 1),
    start_presentation: () => { state.presenting = true; show(0);
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

  function onMessage(m) {
    if (m.type === "command" && commands[m.command]) {
      commands[m.command]();
      state.lastCommand = m.command; state.commands.push(m.command);
      render();
    } else if (m.type === "pointer") {
      onPointer(m);
    }
  }
  state.handle = onMessage;

  function connect() {
    const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + base + "ws" + keyQuery());
    ws.onopen = () => { state.connected = true; render(); };
    ws.onmessage = (ev) => onMessage(JSON.parse(ev.data));
    ws.onclose = () => { state.connected = false; render(); setTimeout(connect, 1000); };
    state.socket = ws;
  }

  fetch("api/slides").then((r) => r.json()).then((d) => {
    slides = d.slides; state.count = d.count; show(0); connect();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "ArrowRight") onMessage({ type: "command", command: "next_slide" });
    if (e.key === "ArrowLeft") onMessage({ type: "command", command: "previous_slide" });
  });
})();
