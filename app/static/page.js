// The page of `scriptlm serve` (app/server.py): lists the models, streams text from the ticked ones side by
// side, draws their curves against their n-grams, and follows the workspace's running training.
"use strict";
const $ = (selector) => document.querySelector(selector);
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const MAX_PICKED = 4;
let models = [];            // the listing, as /api/models gives it
const picked = new Set();   // ids of the ticked models, in the order ticked
const curves = new Map();   // id -> {points, baseline}
const following = new Map(); // workspace id -> EventSource of /api/live
let running = null;         // AbortController of the generations under way

const fmt = (x, digits = 4) => (typeof x === "number" ? x.toFixed(digits) : "–");
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

async function getJSON(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

async function loadInfo() {
  const info = await getJSON("/api/info");
  if (!$("#prompt").value) $("#prompt").value = info.prompt;
  $("#length").max = info.max_length;
  if (info.exposed) {
    const banner = $("#banner");
    banner.textContent = `This page is served on ${info.host}, not only to this machine: anyone who can reach it can use ` +
      "the page and read what the models write. Without --host, scriptlm serve binds 127.0.0.1.";
    banner.hidden = false;
  }
}

async function loadModels(refresh = false) {
  const listing = await getJSON(`/api/models${refresh ? "?refresh=1" : ""}`);
  models = listing.models;
  $("#problems").hidden = !listing.problems.length;
  $("#problems").textContent = listing.problems.join("\n");
  for (const id of [...picked]) if (!models.some((m) => m.id === id)) picked.delete(id);
  if (!picked.size && models.length) picked.add((models.find((m) => m.state === "ready") || models[0]).id);
  const body = $("#models tbody");
  body.replaceChildren(...models.map((m) => {
    const box = el("input", {type: "checkbox", class: "pick", "data-id": m.id});
    box.checked = picked.has(m.id);
    box.addEventListener("change", () => pick(m.id, box));
    const h = m.headline;
    const differing = Object.entries(m.differing).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
    const state = m.state === "training" ? "training: in progress" : m.state;
    return el("tr", {class: m.state === "ready" ? "" : m.state === "training" ? "training" : "unusable",
                     "data-id": m.id, "data-kind": m.kind},
      el("td", {}, box), el("td", {}, m.label), el("td", {class: "state"}, state),
      el("td", {class: "num"}, fmt(h.nats_per_char)), el("td", {class: "num"}, fmt(h.best_ngram)),
      el("td", {class: "num"}, h.epochs == null ? "–" : `${h.epochs}${h.kept_epoch ? ` (kept ${h.kept_epoch})` : ""}`),
      el("td", {class: "params"}, differing || (m.kind === "workspace" ? "(the workspace)" : "none")));
  }));
  follow();
  await drawCurves();
}

function pick(id, box) {
  if (box.checked && picked.size >= MAX_PICKED) {
    box.checked = false;
    showError(`Compare at most ${MAX_PICKED} models at once.`);
    return;
  }
  box.checked ? picked.add(id) : picked.delete(id);
  drawCurves();
}

function showError(message) {
  $("#form-error").textContent = message || "";
  $("#form-error").hidden = !message;
}

// --- generation: one streamed POST per ticked model, the same prompt and seed for each ---
async function generate(event) {
  event.preventDefault();
  showError("");
  if (!picked.size) return showError("Tick a model first.");
  if (running) running.abort();
  running = new AbortController();
  const request = {prompt: $("#prompt").value, temperature: Number($("#temperature").value),
                   top_k: Number($("#top_k").value), length: Number($("#length").value), seed: Number($("#seed").value)};
  const columns = [...picked].map((id) => column(id, request.prompt));
  $("#columns").replaceChildren(...columns.map((c) => c.node));
  $("#stop").disabled = false;
  const controller = running;
  await Promise.all(columns.map((c) => stream(c, {...request, model: c.id}, controller.signal)));
  if (running === controller) { running = null; $("#stop").disabled = true; }
}

function column(id, prompt) {
  const label = (models.find((m) => m.id === id) || {label: id}).label;
  const out = el("span", {class: "out"});
  const state = el("span", {class: "state"}, " starting…");
  const node = el("div", {class: "column", "data-id": id, "data-state": "starting", "data-events": "0"},
    el("h3", {}, label, state), el("pre", {}, el("span", {class: "prompt"}, prompt), out), el("p", {class: "error", hidden: ""}));
  return {id, node, out, state, events: 0};
}

function settle(c, what, message) {
  c.node.dataset.state = what;
  c.state.textContent = ` ${what}`;
  if (message) { const error = c.node.querySelector(".error"); error.textContent = message; error.hidden = false; }
}

async function stream(c, body, signal) {
  try {
    const response = await fetch("/api/generate", {method: "POST", headers: {"Content-Type": "application/json"},
                                                   body: JSON.stringify(body), signal});
    if (!response.ok) {
      const error = await response.json().catch(() => ({error: response.statusText}));
      return settle(c, "error", error.error);
    }
    settle(c, "streaming");
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const kind = (raw.match(/^event: (.*)$/m) || [])[1];
        const data = JSON.parse((raw.match(/^data: (.*)$/m) || [, "null"])[1]);
        if (kind === "text") { c.out.textContent += data; c.node.dataset.events = String(++c.events); }
        else if (kind === "done") return settle(c, "done");
        else if (kind === "error") return settle(c, "error", data);
      }
    }
    settle(c, "error", "the server closed the stream early");
  } catch (error) {
    if (error.name === "AbortError") settle(c, "stopped");
    else settle(c, "error", String(error.message || error));
  }
}

function stop() {
  if (running) running.abort();
  running = null;
  $("#stop").disabled = true;
}

// --- curves: an SVG line per model, its n-gram a dashed line of the same colour ---
async function drawCurves() {
  for (const id of picked) {
    if (!curves.has(id) || !following.has(id)) {
      try { curves.set(id, await getJSON(`/api/curve?model=${encodeURIComponent(id)}`)); } catch (e) { curves.delete(id); }
    }
  }
  const shown = [...picked].filter((id) => curves.has(id)).map((id, i) => ({id, color: COLORS[i % COLORS.length], ...curves.get(id)}));
  $("#curves").replaceChildren(chart(shown, "curves-chart"));
}

function chart(series, name, width = 760, height = 300) {
  const pad = {left: 52, right: 16, top: 12, bottom: 34};
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.baseline == null ? [] : [s.baseline])]);
  const box = el("div", {class: "chart", "data-name": name});
  if (!ys.length) { box.append(el("p", {class: "hint"}, "No curve yet.")); return box; }
  const [x0, x1] = [Math.min(1, ...xs), Math.max(2, ...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-6) { y0 -= 0.5; y1 += 0.5; }
  const X = (x) => pad.left + (x - x0) / (x1 - x0) * (width - pad.left - pad.right);
  const Y = (y) => pad.top + (y1 - y) / (y1 - y0) * (height - pad.top - pad.bottom);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  add("line", {class: "axis", x1: pad.left, x2: pad.left, y1: pad.top, y2: height - pad.bottom});
  add("line", {class: "axis", x1: pad.left, x2: width - pad.right, y1: height - pad.bottom, y2: height - pad.bottom});
  for (let i = 0; i <= 4; i++) {
    const y = y0 + (y1 - y0) * i / 4;
    add("text", {x: pad.left - 6, y: Y(y) + 4, "text-anchor": "end"}, y.toFixed(2));
  }
  add("text", {x: (width + pad.left) / 2, y: height - 6, "text-anchor": "middle"}, `epoch (${x0} to ${x1})`);
  for (const s of series) {
    if (s.baseline != null) add("line", {x1: X(x0), x2: X(x1), y1: Y(s.baseline), y2: Y(s.baseline), stroke: s.color,
                                         "stroke-dasharray": "6 4", class: "baseline", "data-id": s.id});
    add("polyline", {points: s.points.map((p) => `${X(p[0])},${Y(p[1])}`).join(" "), fill: "none", stroke: s.color,
                     "stroke-width": 2, class: "curve", "data-id": s.id, "data-points": s.points.length});
    for (const p of s.points) add("circle", {cx: X(p[0]), cy: Y(p[1]), r: 2.5, fill: s.color});
  }
  const legend = el("div", {class: "legend"}, ...series.map((s) => el("span", {}, el("i", {style: `background:${s.color}`}),
    `${s.label}: ${fmt(s.points.length ? s.points[s.points.length - 1][1] : null)} at the last epoch, n-gram ${fmt(s.baseline)}`)));
  box.append(svg, legend);
  return box;
}

// --- a running training: each workspace's curve and latest preview, pushed when its files change ---
function follow() {
  const workspaces = models.filter((m) => m.kind === "workspace");
  if (workspaces.length) $("#live").querySelector(":scope > p.hint")?.remove();
  for (const m of workspaces) {
    if (following.has(m.id)) continue;
    const panel = el("div", {class: "live", "data-id": m.id, "data-epochs": "0"});
    $("#live").append(panel);
    const source = new EventSource(`/api/live?model=${encodeURIComponent(m.id)}`);
    source.addEventListener("update", (event) => showLive(panel, m, JSON.parse(event.data)));
    following.set(m.id, source);
  }
}

function showLive(panel, m, now) {
  panel.dataset.epochs = String(now.points.length);
  panel.dataset.training = String(now.training);
  const state = now.training ? "training now" : "not training";
  const preview = now.preview ? `after epoch ${now.preview.epoch}:\n\n${now.preview.text}` : "no preview yet";
  panel.replaceChildren(el("h3", {}, `${m.label}: ${state}, ${now.points.length} epochs logged`),
    chart([{id: m.id, label: m.label, color: COLORS[0], points: now.points, baseline: now.baseline}], `live-${m.id}`, 560, 240),
    el("pre", {class: "preview"}, preview));
  curves.set(m.id, now);
  if (picked.has(m.id)) drawCurves();
  const listed = models.find((x) => x.id === m.id);
  if (listed && now.training !== (listed.state === "training")) loadModels(true);  // a run started or ended
}

$("#controls").addEventListener("submit", generate);
$("#stop").addEventListener("click", stop);
$("#refresh").addEventListener("click", () => loadModels(true).catch((e) => showError(e.message)));
loadInfo().then(() => loadModels()).catch((e) => showError(`The server did not answer: ${e.message}`));
setInterval(() => loadModels().catch(() => {}), 15000);  // a new experiment or a training that starts shows up
