// Stepflow UI: live updates of a run page, its timeline, and log tails.
// Every value goes into the page as text (textContent, attributes set with
// setAttribute), never as markup.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const POLL_MS = 1500;

function svgEl(name, attrs) {
  const e = document.createElementNS(SVGNS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}

async function getJSON(url) {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(url + ": " + res.status);
  return res.json();
}

// updateRun applies a run's state (from its API) to the page.
function updateRun(root, data) {
  const status = data.run.status;
  root.dataset.status = status;
  const badge = document.getElementById("run-status");
  badge.textContent = status;
  badge.className = "badge s-" + status;
  if (data.run.duration_seconds) {
    document.getElementById("run-duration").textContent = data.run.duration_seconds.toFixed(2) + "s";
  }
  for (const st of data.steps) {
    const node = document.querySelector('#graph g.sf-node[data-step="' + CSS.escape(st.name) + '"]');
    if (node) {
      const kind = Array.from(node.classList).find((c) => c.startsWith("k-"));
      let cls = st.status;
      if (st.reused > 0 && st.reused === st.done && st.status === "succeeded") cls = "reused";
      if (st.cached > 0 && st.cached === st.done && st.status === "succeeded") cls = "cached";
      node.setAttribute("class", "sf-node " + (kind || "") + " s-" + cls);
      const sub = node.querySelector(".sf-sub");
      if (sub) { sub.textContent = st.text; fitText(sub, node.querySelector("rect")); }
    }
    const row = document.querySelector('#steps tr[data-step="' + CSS.escape(st.name) + '"]');
    if (row) {
      for (const f of ["done", "total", "failed", "running", "damaged"]) {
        const cell = row.querySelector('[data-f="' + f + '"]');
        if (cell) cell.textContent = String(st[f]);
      }
      const b = row.querySelector('[data-f="status"]');
      b.textContent = st.status;
      b.className = "badge s-" + st.status;
    }
  }
}

// fitText keeps a node's label inside its box: the server sizes the box
// for the label it drew, and a label that grows live ("3/4 done · 1
// failed") is condensed to the box's width rather than cut.
function fitText(text, rect) {
  if (!rect) return;
  text.removeAttribute("textLength");
  text.removeAttribute("lengthAdjust");
  const room = Number(rect.getAttribute("width")) - 12;
  if (text.getComputedTextLength() > room) {
    text.setAttribute("textLength", String(room));
    text.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
}

// fitFrame makes a card's frame as tall as the card: the frame is
// sandboxed without scripts, but same-origin, so this page reads its
// height once it has loaded (and again when the window's width changes).
function fitFrame(frame) {
  const fit = () => {
    try {
      const doc = frame.contentDocument;
      if (doc && doc.documentElement) frame.style.height = (doc.documentElement.scrollHeight + 4) + "px";
    } catch (e) { /* not readable: keep the default height */ }
  };
  frame.addEventListener("load", fit);
  window.addEventListener("resize", fit);
  if (frame.contentDocument && frame.contentDocument.readyState === "complete") fit();
}

// drawTimeline draws one bar per attempt, grouped by step; within a step,
// bars are packed into lanes so that overlapping tasks stack and a
// straggler or a retry stands out.
function drawTimeline(box, tl) {
  const labelW = 140, laneH = 10, gap = 3, stepGap = 10, width = Math.max(600, box.clientWidth - 20);
  let end = tl.now;
  for (const st of tl.steps) for (const b of st.bars) end = Math.max(end, b[4]);
  end = Math.max(end, 1);
  const scale = (width - labelW - 10) / end;
  const rows = [];
  let y = 20;
  for (const st of tl.steps) {
    const lanes = [];
    const placed = [];
    const bars = st.bars.slice().sort((a, b) => a[3] - b[3]);
    for (const b of bars) {
      const s = b[3], e = b[2] === 2 ? tl.now : Math.max(b[4], b[3]);
      let lane = lanes.findIndex((free) => free <= s);
      if (lane < 0) { lane = lanes.length; lanes.push(0); }
      lanes[lane] = e + 1;
      placed.push([b, lane, s, e]);
    }
    const h = Math.max(1, lanes.length) * (laneH + gap);
    rows.push({ st, placed, y, h });
    y += h + stepGap;
  }
  const svg = svgEl("svg", { width: width, height: y + 4, role: "img", "aria-label": "timeline" });
  // Time axis: about six ticks.
  const tick = niceTick(end / 6);
  for (let t = 0; t <= end; t += tick) {
    const x = labelW + t * scale;
    svg.appendChild(svgEl("line", { x1: x, x2: x, y1: 14, y2: y, class: "axis" }));
    const lbl = svgEl("text", { x: x + 2, y: 11 });
    lbl.textContent = fmtMs(t);
    svg.appendChild(lbl);
  }
  for (const r of rows) {
    const name = svgEl("text", { x: 0, y: r.y + 10 });
    name.textContent = r.st.name + " (" + r.st.tasks.length + ")";
    svg.appendChild(name);
    for (const [b, lane, s, e] of r.placed) {
      const task = r.st.tasks[b[0]];
      const a = svgEl("a", { href: r.st.href + encodeURIComponent(task) + "?attempt=" + b[1] });
      const rect = svgEl("rect", {
        x: labelW + s * scale, y: r.y + lane * (laneH + gap),
        width: Math.max(1.5, (e - s) * scale), height: laneH, class: "bar b" + b[2],
        "data-task": task, "data-attempt": b[1],
      });
      const title = svgEl("title", {});
      title.textContent = r.st.name + "/" + task + " attempt " + b[1] + ": " + ["succeeded", "failed", "running", "reused", "cached"][b[2]] + ", " + fmtMs(e - s);
      rect.appendChild(title);
      a.appendChild(rect);
      svg.appendChild(a);
    }
  }
  box.replaceChildren(svg);
}

function niceTick(x) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(x, 1))));
  for (const m of [1, 2, 5, 10]) if (p * m >= x) return p * m;
  return p * 10;
}

function fmtMs(ms) {
  if (ms < 1000) return ms + "ms";
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + "s";
  return Math.floor(ms / 60000) + "m" + Math.round((ms % 60000) / 1000) + "s";
}

async function runPage(root) {
  const api = root.dataset.api;
  const box = document.getElementById("timeline");
  const refreshTimeline = async () => {
    try { drawTimeline(box, await getJSON(api + "/timeline")); } catch (e) { box.textContent = String(e); }
  };
  await refreshTimeline();
  while (root.dataset.status === "running") {
    await new Promise((r) => setTimeout(r, POLL_MS));
    try {
      updateRun(root, await getJSON(api));
      await refreshTimeline();
    } catch (e) { /* keep polling: the datastore may be briefly unreachable */ }
  }
}

// tailLogs polls the logs of a running attempt (saved in parts as it runs)
// until it ends.
async function tailLogs() {
  const pres = Array.from(document.querySelectorAll("pre.logtext"));
  let running = true;
  while (running) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    running = false;
    for (const pre of pres) {
      try {
        const size = Number(pre.dataset.size || 0);
        const d = await getJSON(pre.dataset.api + "&offset=" + size);
        if (d.text) pre.appendChild(document.createTextNode(d.text));
        pre.dataset.size = String(d.size);
        if (d.stored) { const note = document.getElementById(pre.id + "-note"); if (note) note.remove(); }
        if (d.status === "running") running = true;
      } catch (e) { running = true; }
    }
  }
  // The attempt ended: show its record (status, artifacts).
  location.reload();
}

// followCard shows a running attempt's card as its step refreshes it:
// it polls the card's version and reloads the frame when it changed.
async function followCard(frame) {
  const box = document.getElementById("live-card");
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    try {
      const d = await getJSON(frame.dataset.versionApi);
      if (d.version && d.version !== frame.dataset.version) {
        frame.dataset.version = d.version;
        frame.src = frame.dataset.src + "&v=" + encodeURIComponent(d.version);
        if (box) box.hidden = false;
      }
      if (d.status !== "running") return;
    } catch (e) { /* keep polling */ }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const n of document.querySelectorAll("#graph g.sf-node")) {
    const sub = n.querySelector(".sf-sub");
    if (sub) fitText(sub, n.querySelector("rect"));
  }
  for (const f of document.querySelectorAll("iframe.card")) fitFrame(f);
  const run = document.getElementById("run");
  if (run) runPage(run);
  const task = document.getElementById("task");
  if (task && task.dataset.running === "true") {
    const live = document.querySelector("#live-card iframe.card");
    if (live) followCard(live);
    tailLogs();
  }
});
