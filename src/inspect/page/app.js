// The inspector page: one WebSocket to the server (see src/inspect/protocol.ts for the messages).
// `hello` draws everything once; each `tick` lights the current states, updates edge counts,
// appends log lines, chart points and completions. Text from the run (model output above all)
// is only ever set with textContent. Plain browser script, no build step.
// The run's token comes in this page's URL (?token=...); it goes along on the WebSocket URL, and
// without it the server keeps the page read-only (it may watch, not pause or step).
/* global window, document, location, WebSocket, URLSearchParams, setTimeout, clearTimeout, SelfImproveCharts */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const KINDS = ["event", "snapshot", "microstep", "action", "actor", "transition"];
  const DEFAULT_KINDS = new Set(["event", "snapshot", "actor"]);
  const MAX_EVENTS = 1500;
  const SHOWN_EVENTS = 300;
  /** A statechart wider than this (CSS px at natural size) gets a row of its own. */
  const WIDE_CHART_PX = 800;

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
  /** The run's state when the shown ack arrived: once that changes, the status line says it all. */
  let ackStatusKey = null;
  /** Whether the server lets this page control the run (it carried the token). */
  let control = false;
  /** Set once the server said goodbye after the run ended: no reconnecting to a closed inspector. */
  let closedForGood = false;
  const token = new URLSearchParams(location.search).get("token");
  const statusKey = (s) => `${s.paused}|${s.step}|${s.finished}`;

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
    const ws = new WebSocket(`ws://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ""}`);
    socket = ws;
    ws.onopen = () => setConn(true);
    ws.onclose = (e) => {
      // A normal close after the run ended is the inspector closing with the run (no --keep-open).
      if (e.code === 1000 && model.status && model.status.finished) {
        closedForGood = true;
        setConn(false, `closed: ${e.reason || "the inspector closed"}`);
        return;
      }
      setConn(
        false,
        token ? undefined : "offline (reconnecting; this URL has no ?token=, which a server beyond loopback requires)",
      );
      setTimeout(connect, 1000);
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === "hello") onHello(msg);
      else if (msg.type === "tick") onTick(msg);
      else if (msg.type === "ack") onAck(msg);
    };
  }

  function setConn(up, text) {
    const c = $("conn");
    c.textContent = up ? "live" : text || "offline (reconnecting)";
    c.className = `conn ${up ? "online" : closedForGood ? "closed" : "offline"}`;
    document.body.dataset.connected = up ? "true" : "false";
    if (!up) for (const id of ["pause", "step", "resume"]) $(id).disabled = true;
  }

  function command(type) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type }));
  }

  function clearAck() {
    clearTimeout(ackTimer);
    $("ack").textContent = "";
    ackStatusKey = null;
  }

  function onAck(msg) {
    const a = $("ack");
    a.textContent = msg.message;
    a.className = `ack ${msg.ok ? "ok" : "error"}`;
    // "pausing when the current step ends" is true until the run pauses, then stale: cleared
    // when the run's state moves on (applyStatus), or after a while at the latest.
    ackStatusKey = msg.ok && model.status ? statusKey(model.status) : null;
    clearTimeout(ackTimer);
    ackTimer = setTimeout(clearAck, msg.ok ? 10000 : 5000);
  }

  function setControl(allowed) {
    control = allowed === true;
    document.body.dataset.control = control ? "true" : "false";
    const note = $("readonly");
    note.hidden = control;
    note.textContent = control
      ? ""
      : "read-only: this page was opened without the run's token. Open the URL the run printed (…/?token=…) to pause, step or resume.";
  }

  // ---- hello: everything static, plus the history so far ----

  function onHello(msg) {
    setControl(msg.control);
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
      // Graphviz sizes a chart in points. A wide one (the run's, the Learner's) squeezed into one
      // column would be scaled to unreadable 4-px labels: it gets the whole row instead.
      const svg = d.querySelector("svg");
      const widthPx = svg ? (parseFloat(svg.getAttribute("width") || "0") * 4) / 3 : 0;
      if (widthPx > WIDE_CHART_PX) box.classList.add("wide");
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
    if (s.pauseRequested && !s.paused && !s.finished) parts.push("pausing after this step");
    if (s.error) parts.push(`error: ${s.error}`);
    if (ackStatusKey !== null && ackStatusKey !== statusKey(s)) clearAck();
    const ended = $("ended");
    ended.hidden = !s.finished;
    ended.textContent = s.finished
      ? s.error
        ? `The run failed: ${s.error}`
        : `The run has finished: ${Math.min(s.step, s.totalSteps)} of ${s.totalSteps} steps done.`
      : "";
    ended.className = `ended${s.error ? " failed" : ""}`;
    box.textContent = parts.join(" · ");
    box.dataset.value = value;
    box.dataset.step = String(s.step);
    box.className = `status ${s.finished ? "finished" : s.paused ? "paused" : "running"}${s.error ? " failed" : ""}`;
    const live = socket && socket.readyState === WebSocket.OPEN;
    const can = live && control && !s.finished;
    $("pause").disabled = !can || s.paused || s.pauseRequested;
    $("step").disabled = !can || !s.paused;
    $("resume").disabled = !can || !(s.paused || s.pauseRequested);
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

  // The model's role tokens (<|bos|>, <|ans|>, <|reflect|>, ...): the sequence markers are dropped,
  // the others shown as small labels, unless "raw tokens" asks for the exact text.
  const SPECIAL = /<\|([A-Za-z0-9_]+)\|>/g;
  const MARKERS = new Set(["bos", "eos", "pad"]);

  function textCell(text) {
    const td = el("td", null, "mono");
    if (text === undefined || text === null) return td;
    if ($("raw-tokens").checked) {
      td.textContent = text;
      return td;
    }
    let last = 0;
    for (const m of text.matchAll(SPECIAL)) {
      if (m.index > last) td.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (!MARKERS.has(m[1])) {
        const tag = el("span", m[1], "tok");
        tag.title = m[0];
        td.appendChild(tag);
      }
      last = m.index + m[0].length;
    }
    if (last < text.length) td.appendChild(document.createTextNode(text.slice(last)));
    return td;
  }

  function setCompletions(records) {
    model.completions = records;
    renderCompletions();
  }

  function renderCompletions() {
    const body = $("completions").tBodies[0];
    body.textContent = "";
    const onlyRetries = $("only-retries").checked;
    const rows = model.completions
      .filter((c) => !onlyRetries || c.reflection !== undefined)
      .slice()
      .reverse();
    for (const c of rows) {
      const tr = el("tr");
      tr.appendChild(el("td", c.step, "num"));
      tr.appendChild(textCell(c.prompt));
      tr.appendChild(textCell(c.attempt));
      tr.appendChild(textCell(c.reflection));
      tr.appendChild(textCell(c.retry));
      tr.appendChild(
        el("td", c.correct === undefined ? "" : c.correct ? "✓ right" : "✗ wrong", c.correct ? "right" : "wrong"),
      );
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
      if (needle && !`${e.actor} ${e.source ?? ""} ${e.name ?? ""} ${e.detail ?? ""}`.toLowerCase().includes(needle))
        continue;
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
  $("raw-tokens").addEventListener("change", renderCompletions);
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
