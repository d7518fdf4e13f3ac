// The guided enrolment page of `gestura enroll --source ...`: shows the gesture to do next, a countdown, a progress
// bar, why a take was rejected, and the check round; draws the camera preview with the detected hand.
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { messages: 0, phase: "", gesture: "", rejected: 0, accepted: 0, results: [], previews: 0,
                  handPreviews: 0, connected: false, done: false, profile: "" };
  window.gesturaEnrol = state;
  let config = { edges: [] };
  let socket = null;
  const PHASES = { ready: "get ready", go: "now! do it once", checking: "checking the take",
                   fitting: "fitting your model", fitted: "model ready", done: "done: present with this profile" };

  function ack() {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "ack", phase: state.phase,
      gesture: state.gesture, messages: state.messages, rejected: state.rejected, accepted: state.accepted,
      results: state.results.length, previews: state.previews, done: state.done }));
  }

  function onEnrol(m) {
    state.messages += 1;
    state.phase = m.phase;
    document.body.className = m.recording ? "go" : "";
    if (m.gesture) {
      state.gesture = m.gesture;
      $("what").textContent = m.gesture_name || m.gesture;
      $("icon").innerHTML = iconSvg(m.icon);
    }
    $("phase").textContent = m.phase === "check" ? (m.recording ? "now! the model is watching" : m.result ?
      (m.result.ok ? "recognised it" : "recognised: " + (m.result.recognised_name || "nothing")) :
      "check round: get ready") : (PHASES[m.phase] || m.phase);
    $("countdown").textContent = m.phase === "ready" || (m.phase === "check" && m.countdown) ?
      Math.ceil(m.countdown || 0) : "";
    if (m.progress !== undefined) $("fill").style.width = Math.round(100 * m.progress) + "%";
    if (m.takes) $("count").textContent = "take " + Math.min(m.take, m.takes) + " of " + m.takes;
    if (m.message) {
      $("msg").textContent = m.message;
      $("msg").className = m.ok === false ? "bad" : "ok";
    }
    if (m.phase === "checking") { if (m.ok) state.accepted += 1; else state.rejected += 1; }
    if (m.results) {
      state.results = m.results;
      $("checkbox").hidden = false;
      const body = $("checkrows");
      body.innerHTML = "";
      for (const r of m.results) {
        const tr = document.createElement("tr");
        const a = document.createElement("td"); a.textContent = r.gesture_name || r.gesture;
        const b = document.createElement("td"); b.textContent = r.recognised ? (r.recognised_name || r.recognised) : "nothing";
        b.className = r.ok ? "ok" : "bad";
        tr.append(a, b); body.append(tr);
      }
    }
    if (m.phase === "done") {
      state.done = true; state.profile = m.profile || "";
      $("what").textContent = m.profile ? "saved as profile '" + m.profile + "'" : "finished";
      $("icon").innerHTML = iconSvg("done");
      $("countdown").textContent = "";
      $("fill").style.width = "100%";
    }
    ack();
  }

  function onPreview(m) {
    state.previews += 1;
    const hands = Object.values(m.hands || {});
    if (hands.length) state.handPreviews += 1;
    $("handpill").textContent = hands.length ? "hand seen" : "no hand";
    $("handpill").className = hands.length ? "seen" : "";
    const img = $("camimg");
    if (m.jpeg) { img.src = "data:image/jpeg;base64," + m.jpeg; img.style.display = "block"; } else img.style.display = "none";
    const c = $("hand"), ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    for (const pts of hands) {
      ctx.strokeStyle = "#7fd47f"; ctx.lineWidth = 3;
      for (const [a, b] of config.edges) {
        ctx.beginPath(); ctx.moveTo(pts[a][0] * c.width, pts[a][1] * c.height); ctx.lineTo(pts[b][0] * c.width, pts[b][1] * c.height); ctx.stroke();
      }
      ctx.fillStyle = "#fff";
      for (const p of pts) { ctx.beginPath(); ctx.arc(p[0] * c.width, p[1] * c.height, 3, 0, 2 * Math.PI); ctx.fill(); }
    }
  }

  function connect() {
    const base = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + base + "ws" + location.search);
    ws.onopen = () => { state.connected = true; $("phase").textContent = "connected: waiting for the camera"; ack(); };
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === "enrol") onEnrol(m); else if (m.type === "preview") onPreview(m);
    };
    ws.onclose = () => { state.connected = false; setTimeout(connect, 1000); };
    socket = ws;
  }
  fetch("api/config").then((r) => r.json()).then((c) => { config = c; connect(); });
})();
