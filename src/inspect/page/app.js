// The inspector page: one WebSocket to the server (see src/inspect/protocol.ts for the messages).
// `hello` draws everything once; each `tick` lights the current states, updates edge counts,
// appends log lines, chart points and completions. Text from the run (model output above all)
// is only ever set with textContent. Plain browser script, no build step.
/* global window, document, location, WebSocket, setTimeout, clearTimeout, SelfImproveCharts */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const KINDS = ["event", "snapshot", "microstep", "action", "actor", "transition"];
  const DEFAULT_KINDS = new Set(["event", "snapshot", "actor"]);
  const MAX_EVENTS = 1500;
  const SHOWN_EVENTS = 300;

  const model = {
    scenario: "",
    status: null,
    metrics: [],
    events: [],
    lastSeq: 0,
    lastN: 0,
    completions: [],
    topoEdges: [],
    lit: new Map(),
    recent: new Map(),
  };
  let charts = null;
  let socket = null;
  let ackTimer = null;

  function valueText(v) {
    if (typeof v === "string") return v;
    if (v && typeof v === "object") {
      return Object.entries(v)
        .map(([k, c]) => {
          const inner = valueText(c);
          return inner === "" ? k : `${k}.${inner}`;
        })
        .join(", ");
    }
    return "";
  }

  function el(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (className) e.className = className;
    return e;
  }

  const fmt = (x, digits) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "–");

  // ---- connection ----

  function connect() {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    socket = ws;
    ws.onopen = () => setConn(true);
    ws.onclose = () => {
      setConn(false);
      setTimeout(connect, 1000);
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === "hello") onHello(msg);
      else if (msg.type === "tick") onTick(msg);
      else if (msg.type === "ack") onAck(msg);
    };
  }

  function setConn(up) {
    const c = $("conn");
    c.textContent = up ? "live" : "offline (reconnecting)";
    c.className = `conn ${up ? "online" : "offline"}`;
    document.body.dataset.connected = up ? "true" : "false";
    if (!up) for (const id of ["pause", "step", "resume"]) $(id).disabled = true;
  }

  function command(type) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type }));
  }

  function onAck(msg) {
    const a = $("ack");
    a.textContent = msg.message;
    a.className = `ack ${msg.ok ? "ok" : "error"}`;
    clearTimeout(ackTimer);
    ackTimer = setTimeout(() => (a.textContent = ""), 5000);
  }

  // ---- hello: everything static, plus the history so far ----

  function onHello(msg) {
    model.scenario = msg.scenario;
    document.title = `selfimprove · ${msg.scenario}`;
    $("scenario").textContent = msg.scenario;
    $("description").textContent = msg.description;
    $("topology").innerHTML = msg.topology.svg;
    model.topoEdges = msg.topology.edges;
    buildEdgeTable(msg.topology.edges);
    const actors = $("actors");
    actors.textContent = "";
    model.lit.clear();
    model.recent.clear();
    for (const c of msg.charts) {
      const box = el("div", null, "actor");
      box.id = `actor-${c.name}`;
      box.dataset.actor = c.name;
      const h = el("h3", c.name);
      const now = el("span", "", "now");
      h.appendChild(now);
      box.appendChild(h);
      const d = el("div", null, "diagram");
      d.innerHTML = c.svg;
      box.appendChild(d);
      box.appendChild(el("div", "", "visits"));
      actors.appendChild(box);
    }
    if (!charts) charts = new SelfImproveCharts.MetricCharts($("metrics"));
    model.metrics = [];
    model.lastN = 0;
    model.events = [];
    model.lastSeq = 0;
    appendMetrics(msg.metrics);
    appendEvents(msg.events);
    setCompletions(msg.completions);
    apply(msg);
  }

  function buildEdgeTable(edges) {
    const body = $("edges").tBodies[0];
    body.textContent = "";
    for (const e of edges) {
      const tr = el("tr");
      tr.dataset.edge = String(e.index);
      tr.appendChild(el("td", e.fromPort));
      tr.appendChild(el("td", e.toPort));
      tr.appendChild(el("td", e.ops.map((o) => `${o.kind}: ${o.label}`).join(" → ") || "(as is)"));
      tr.appendChild(el("td", "0", "num count"));
      tr.appendChild(el("td", "0.0", "num rate"));
      body.appendChild(tr);
    }
  }

  // ---- tick: what changed ----

  function onTick(msg) {
    appendMetrics(msg.metrics);
    appendEvents(msg.events);
    if (msg.completions) setCompletions(msg.completions);
    apply(msg);
  }

  function apply(msg) {
    applyStatus(msg.status);
    applyActors(msg.actors);
    applyEdges(msg.edges);
  }

  function applyStatus(s) {
    model.status = s;
    const value = valueText(s.value);
    const box = $("status");
    const parts = [value || "starting", `step ${Math.min(s.step, s.totalSteps)}/${s.totalSteps} done`, s.phase];
    if (s.pauseRequested) parts.push("pausing after this step");
    if (s.error) parts.push(`error: ${s.error}`);
    box.textContent = parts.join(" · ");
    box.dataset.value = value;
    box.dataset.step = String(s.step);
    box.className = `status ${s.finished ? "finished" : s.paused ? "paused" : "running"}${s.error ? " failed" : ""}`;
    const live = socket && socket.readyState === WebSocket.OPEN;
    $("pause").disabled = !live || s.finished || s.paused || s.pauseRequested;
    $("step").disabled = !live || s.finished || !s.paused;
    $("resume").disabled = !live || s.finished || !(s.paused || s.pauseRequested);
  }

  function applyActors(actors) {
    for (const a of actors) {
      const box = $(`actor-${a.name}`);
      if (!box) continue;
      const before = model.lit.get(a.name) || [];
      for (const id of before) {
        const node = document.getElementById(`state:${id}`);
        if (node) node.classList.remove("active");
      }
      for (const id of a.active) {
        const node = document.getElementById(`state:${id}`);
        if (node) node.classList.add("active");
      }
      model.lit.set(a.name, a.active);
      // States passed through since the last tick glow briefly: work between ticks shows too.
      for (const id of model.recent.get(a.name) || []) {
        const node = document.getElementById(`state:${id}`);
        if (node) node.classList.remove("recent");
      }
      for (const id of a.recent) {
        const node = document.getElementById(`state:${id}`);
        if (node && !a.active.includes(id)) node.classList.add("recent");
      }
      model.recent.set(a.name, a.recent);
      const value = valueText(a.value);
      box.dataset.state = value;
      box.dataset.visits = String(Object.values(a.visits).reduce((x, y) => x + y, 0));
      box.dataset.status = a.status;
      box.querySelector(".now").textContent = a.status === "active" ? value : `${value} (${a.status})`;
      const visits = Object.entries(a.visits)
        .map(([id, n]) => `${id.slice(id.indexOf(".") + 1)} ×${n}`)
        .join(" · ");
      box.querySelector(".visits").textContent = visits;
    }
  }

  function applyEdges(edges) {
    const rows = $("edges").tBodies[0].rows;
    for (const e of edges) {
      const g = document.getElementById(`edge:${e.index}`);
      const text = `${e.count} msgs · ${fmt(e.rate, 1)}/s`;
      if (g) {
        const texts = g.querySelectorAll("text");
        const last = texts[texts.length - 1];
        if (last) last.textContent = text;
        g.dataset.count = String(e.count);
        g.classList.toggle("flowing", e.rate > 0);
      }
      const row = rows[e.index];
      if (row) {
        row.dataset.count = String(e.count);
        row.querySelector(".count").textContent = String(e.count);
        row.querySelector(".rate").textContent = fmt(e.rate, 1);
      }
    }
  }

  // ---- metrics ----

  function appendMetrics(points) {
    let added = false;
    for (const p of points) {
      if (p.n <= model.lastN) continue;
      model.metrics.push(p);
      model.lastN = p.n;
      added = true;
    }
    if (!added && model.metrics.length > 0) return;
    charts.setData(model.metrics);
    const last = model.metrics[model.metrics.length - 1];
    $("latest").textContent = last
      ? `step ${last.step}: reward ${fmt(last.reward_mean, 3)} · first try ${fmt(last.first_try_accuracy, 3)} · second try ${fmt(last.second_try_accuracy, 3)} · KL ${fmt(last.kl, 4)} · ${fmt(last.tokens_per_second, 0)} tok/s`
      : "no step finished yet";
  }

  // ---- completions ----

  function setCompletions(records) {
    model.completions = records;
    renderCompletions();
  }

  function renderCompletions() {
    const body = $("completions").tBodies[0];
    body.textContent = "";
    const onlyRetries = $("only-retries").checked;
    const rows = model.completions.filter((c) => !onlyRetries || c.reflection !== undefined).slice().reverse();
    for (const c of rows) {
      const tr = el("tr");
      tr.appendChild(el("td", c.step, "num"));
      tr.appendChild(el("td", c.prompt, "mono"));
      tr.appendChild(el("td", c.attempt ?? "", "mono"));
      tr.appendChild(el("td", c.reflection ?? "", "mono"));
      tr.appendChild(el("td", c.retry ?? "", "mono"));
      tr.appendChild(el("td", c.correct === undefined ? "" : c.correct ? "✓ right" : "✗ wrong", c.correct ? "right" : "wrong"));
      tr.appendChild(el("td", fmt(c.reward, 2), "num"));
      body.appendChild(tr);
    }
    if (rows.length === 0) {
      const tr = el("tr");
      const td = el("td", "none yet: completions appear when a step ends", "empty");
      td.colSpan = 7;
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  // ---- inspection events ----

  function buildKindFilters() {
    const box = $("event-kinds");
    for (const k of KINDS) {
      const label = el("label", null, "opt");
      const cb = document.createElement("input");
      cb.type = "checkbox";
      cb.value = k;
      cb.checked = DEFAULT_KINDS.has(k);
      cb.addEventListener("change", renderEvents);
      label.appendChild(cb);
      label.appendChild(document.createTextNode(` ${k}`));
      box.appendChild(label);
    }
  }

  function appendEvents(events) {
    for (const e of events) {
      if (e.seq <= model.lastSeq) continue;
      model.events.push(e);
      model.lastSeq = e.seq;
    }
    if (model.events.length > MAX_EVENTS) model.events.splice(0, model.events.length - MAX_EVENTS);
    if ($("follow").checked) renderEvents();
  }

  function renderEvents() {
    const needle = $("event-filter").value.trim().toLowerCase();
    const kinds = new Set([...$("event-kinds").querySelectorAll("input:checked")].map((c) => c.value));
    const shown = [];
    for (let i = model.events.length - 1; i >= 0 && shown.length < SHOWN_EVENTS; i--) {
      const e = model.events[i];
      if (!kinds.has(e.kind)) continue;
      if (needle && !`${e.actor} ${e.source ?? ""} ${e.name ?? ""} ${e.detail ?? ""}`.toLowerCase().includes(needle)) continue;
      shown.push(e);
    }
    const body = $("events").tBodies[0];
    body.textContent = "";
    for (const e of shown) {
      const tr = el("tr", null, `kind-${e.kind}`);
      tr.appendChild(el("td", e.seq, "num"));
      tr.appendChild(el("td", e.t, "num"));
      tr.appendChild(el("td", e.kind));
      tr.appendChild(el("td", e.actor));
      tr.appendChild(el("td", e.source ?? ""));
      tr.appendChild(el("td", e.name ?? "", "mono"));
      tr.appendChild(el("td", e.detail ?? "", "mono"));
      body.appendChild(tr);
    }
    $("event-count").textContent = `${shown.length} shown of the last ${model.events.length}`;
  }

  // ---- controls ----

  $("pause").addEventListener("click", () => command("pause"));
  $("step").addEventListener("click", () => command("step"));
  $("resume").addEventListener("click", () => command("resume"));
  $("only-retries").addEventListener("change", renderCompletions);
  $("event-filter").addEventListener("input", renderEvents);
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof window.HTMLInputElement) return;
    const s = model.status;
    if (!s) return;
    if (e.key === " ") {
      e.preventDefault();
      command(s.paused || s.pauseRequested ? "resume" : "pause");
    } else if (e.key === "s" && s.paused) command("step");
  });

  buildKindFilters();
  connect();
})();
