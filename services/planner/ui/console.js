// The Zygarde console: reads the planner's JSON API (the same one the CLI uses) and polls it.
// Every value from the API is put into the page as text (textContent), never as HTML.
"use strict";

const TOKEN_KEY = "zygarde.token";
const POLL_MS = 2000;
const FINAL = new Set(["completed", "failed", "cancelled", "rejected"]);
const state = { refresh: null, timer: null, sort: { key: "rank", dir: 1 }, filter: "", selected: null,
                jobStatus: "" };

// ------------------------------------------------------------------ helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

class ApiError extends Error {
  constructor(status, reasons) { super(reasons.join("; ")); this.status = status; this.reasons = reasons; }
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { ...options, headers,
                                   body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const type = resp.headers.get("content-type") || "";
  const body = type.includes("json") ? await resp.json() : await resp.text();
  if (!resp.ok) {
    const detail = body && body.detail !== undefined ? body.detail : body;
    throw new ApiError(resp.status, Array.isArray(detail) ? detail.map(String) : [String(detail)]);
  }
  return body;
}

function fmt(value, digits = 4) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "-";
}

function age(iso) {
  if (!iso) return "-";
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]]) {
    if (seconds >= size) return `${Math.round(seconds / size)}${unit} ago`;
  }
  return `${Math.max(0, Math.round(seconds))}s ago`;
}

function trialNumber(trialId) {
  const match = /-(\d+)$/.exec(trialId || "");
  return match ? Number(match[1]) : null;
}

function paramsText(params) {
  return Object.entries(params || {}).map(([k, v]) =>
    `${k}=${typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : JSON.stringify(v)}`).join(", ");
}

function statusBadge(status) { return el("span", { class: `status ${status}`, text: status }); }

function bar(share) {
  const pct = Math.max(0, Math.min(1, share || 0)) * 100;
  return el("div", { class: "bar", role: "progressbar", "aria-valuenow": pct.toFixed(0), "aria-valuemin": "0",
                     "aria-valuemax": "100" }, el("span", { style: `width:${pct.toFixed(1)}%` }));
}

function progressShare(job) {
  const b = job.budget || {}, t = job.trials || {};
  if (FINAL.has(job.status)) return 1;
  const shares = [];
  if (b.max_trials) shares.push(((t.completed || 0) + (t.failed || 0)) / b.max_trials);
  if (b.time_budget_s && b.seconds_used) shares.push(b.seconds_used / b.time_budget_s);
  if (b.cost_budget) shares.push((b.instance_seconds_used || 0) / b.cost_budget);
  return Math.min(1, Math.max(0, ...shares));
}

function show(view, ...children) {
  const main = document.getElementById("view");
  main.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
  main.dataset.view = view;
}

function problem(error) {
  if (error instanceof ApiError && error.status === 401) {
    return el("p", { class: "error", id: "need-token" },
              "The planner wants a token: paste the read or admin token above (", error.message, ").");
  }
  return el("p", { class: "error" }, `${error.status || ""} ${error.message}`);
}

function line(text) { document.getElementById("status-line").textContent = text; }

function plot(node, traces, layout) {
  if (!window.Plotly) { node.textContent = "the chart library did not load"; return; }
  window.Plotly.react(node, traces, { margin: { l: 50, r: 10, t: 30, b: 40 }, font: { size: 11 }, ...layout },
                      { displaylogo: false, responsive: true });
}

// ------------------------------------------------------------------ jobs list

async function jobsView() {
  const query = state.jobStatus ? `?status=${encodeURIComponent(state.jobStatus)}` : "";
  const jobs = await api(`/jobs${query}`);
  const filter = el("select", { id: "status-filter", onchange: (e) => { state.jobStatus = e.target.value; tick(); } },
    ["", "queued", "running", "paused", "completed", "failed", "cancelled", "rejected"].map((s) =>
      el("option", { value: s, selected: s === state.jobStatus, text: s || "every status" })));
  const rows = jobs.map((job) => {
    const t = job.trials || {}, b = job.budget || {};
    const done = (t.completed || 0) + (t.failed || 0);
    return el("tr", { class: "clickable", "data-job-id": job.job_id, onclick: () => { location.hash = `#/jobs/${job.job_id}`; } },
      el("td", {}, el("a", { href: `#/jobs/${job.job_id}`, class: "mono", text: job.job_id.slice(0, 12) })),
      el("td", { text: job.name || "" }), el("td", {}, statusBadge(job.status)),
      el("td", {}, bar(progressShare(job))),
      el("td", { class: "num", text: `${done}/${b.max_trials || "?"}` }),
      el("td", { class: "num", text: fmt(job.best && job.best.score) }),
      el("td", { text: job.metric || "-" }), el("td", { text: (job.best && job.best.algorithm) || "-" }),
      el("td", { text: age(job.created_at) }));
  });
  show("jobs", el("h1", { text: "Jobs" }), el("div", { class: "toolbar" }, filter,
       el("span", { class: "muted", text: `${jobs.length} job(s), newest first` })),
    el("table", { id: "jobs-table" },
      el("thead", {}, el("tr", {}, ["job", "name", "status", "progress", "trials", "best", "metric", "best algorithm", "age"]
        .map((h) => el("th", { text: h })))),
      el("tbody", {}, rows)));
}

// ------------------------------------------------------------------ one job

const TRIAL_COLUMNS = [
  { key: "rank", label: "#", num: true }, { key: "trial", label: "trial", num: true },
  { key: "algorithm", label: "algorithm" }, { key: "cv_mean", label: "cv mean", num: true },
  { key: "cv_std", label: "cv std", num: true }, { key: "fit_seconds", label: "fit s", num: true },
  { key: "params", label: "params" },
];

function trialValue(item, key) {
  if (key === "trial") return trialNumber(item.trial_id);
  if (key === "params") return paramsText(item.params);
  return item[key];
}

function sortedTrials(items) {
  const { key, dir } = state.sort;
  return [...items].sort((a, b) => {
    const x = trialValue(a, key), y = trialValue(b, key);
    return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * dir;
  });
}

function budgetRows(job) {
  const b = job.budget || {}, t = job.trials || {};
  const rows = [];
  const done = (t.completed || 0) + (t.failed || 0);
  if (b.max_trials) rows.push(["trials", done / b.max_trials, `${done} of ${b.max_trials}`]);
  if (b.time_budget_s) rows.push(["time", (b.seconds_used || 0) / b.time_budget_s,
                                  `${Math.round(b.seconds_used || 0)} of ${b.time_budget_s} s`]);
  if (b.cost_budget) rows.push(["cost", (b.instance_seconds_used || 0) / b.cost_budget,
                                `${fmt(b.instance_seconds_used, 1)} of ${b.cost_budget} instance-s`]);
  if (b.patience) rows.push(["patience", null, `${b.patience} trials without a better score`]);
  return el("div", { class: "budgets", id: "budgets" }, rows.map(([name, share, text]) =>
    [el("span", { text: name }), share === null ? el("span") : bar(share), el("span", { class: "muted", text })]));
}

function bestSoFar(items, greater) {
  const byNumber = [...items].sort((a, b) => trialNumber(a.trial_id) - trialNumber(b.trial_id));
  const x = [], y = [];
  let best = null;
  for (const item of byNumber) {
    if (best === null || (greater ? item.cv_mean > best : item.cv_mean < best)) best = item.cv_mean;
    x.push(trialNumber(item.trial_id)); y.push(best);
  }
  return { x, y, scores: byNumber.map((i) => i.cv_mean) };
}

// which trials failed and why: GET /jobs/{id} groups them by reason and error (numbers aside)
function failuresTable(job) {
  const groups = job.failures || [];
  if (!groups.length) return null;
  const failed = (job.trials || {}).failed || 0;
  return el("div", { id: "failures" }, el("h2", { text: `Failed trials (${failed})` }),
    el("table", { id: "failures-table" },
      el("thead", {}, el("tr", {}, ["trials", "reason", "algorithms", "error", "trial #"].map((h) => el("th", { text: h })))),
      el("tbody", {}, groups.map((g) => el("tr", { "data-reason": g.reason },
        el("td", { class: "num", text: g.count }), el("td", {}, el("span", { class: "status failed", text: g.reason })),
        el("td", { text: (g.algorithms || []).join(", ") || "-" }),
        el("td", { class: "mono failure-error", text: g.error || "-" }),
        el("td", { class: "mono", text: (g.trial_ids || []).map(trialNumber).join(", ") +
                                        (g.count > (g.trial_ids || []).length ? ", …" : "") }))))));
}

async function jobView(jobId) {
  const [job, board] = await Promise.all([api(`/jobs/${jobId}`), api(`/jobs/${jobId}/leaderboard`)]);
  const items = board.items || [];
  const t = job.trials || {};
  const active = !FINAL.has(job.status);
  const cancel = active && token() ? el("button", { class: "danger", id: "cancel", onclick: async () => {
    try { await api(`/jobs/${jobId}/cancel`, { method: "POST" }); tick(); } catch (e) { alert(e.message); }
  } }, "Cancel job") : null;
  // pause while it runs (no new trials; running ones finish), resume while paused
  const flip = job.status === "paused" ? "resume" : "pause";
  const pause = token() && (job.status === "paused" || job.status === "running")
    ? el("button", { id: flip, onclick: async () => {
      try { await api(`/jobs/${jobId}/${flip}`, { method: "POST" }); tick(); } catch (e) { alert(e.message); }
    } }, flip === "pause" ? "Pause job" : "Resume job") : null;
  const head = el("div", {}, el("h1", {}, `${job.name || "job"} `, statusBadge(job.status)),
    el("p", { class: "muted" }, el("span", { class: "mono", text: job.job_id }),
       ` · ${job.task || "?"} · ${job.metric || "?"} (${board.greater_is_better ? "higher" : "lower"} is better)`,
       ` · ${job.strategy || ""} · ${t.completed || 0} completed, ${t.running || 0} running, ${t.failed || 0} failed`,
       job.ended_reason ? ` · ended: ${job.ended_reason}` : ""), pause, cancel);
  const notes = [];
  if ((job.reasons || []).length) notes.push(el("ul", { class: "reasons" }, job.reasons.map((r) => el("li", { text: r }))));
  if ((job.warnings || []).length) notes.push(el("ul", { class: "warnings" }, job.warnings.map((r) => el("li", { text: r }))));
  const failures = failuresTable(job);

  const filter = el("input", { id: "trial-filter", placeholder: "filter: algorithm or param", value: state.filter,
    oninput: (e) => { state.filter = e.target.value; renderTrials(); } });
  const table = el("table", { id: "trials-table" });
  const detail = el("div", { class: "panel", id: "params" });
  function renderTrials() {
    const needle = state.filter.toLowerCase();
    const shown = sortedTrials(items).filter((i) => !needle ||
      `${i.algorithm} ${paramsText(i.params)}`.toLowerCase().includes(needle));
    const header = el("tr", {}, TRIAL_COLUMNS.map((c) => el("th", {
      class: ["sortable", c.num ? "num" : "", state.sort.key === c.key ? (state.sort.dir > 0 ? "sorted-asc" : "sorted-desc") : ""].join(" "),
      "data-key": c.key, text: c.label,
      onclick: () => { state.sort = { key: c.key, dir: state.sort.key === c.key ? -state.sort.dir : 1 }; renderTrials(); },
    })));
    const rows = shown.map((i) => el("tr", {
      class: `clickable${state.selected === i.trial_id ? " selected" : ""}`, "data-trial-id": i.trial_id,
      onclick: () => { state.selected = i.trial_id; renderTrials(); renderDetail(); } },
      TRIAL_COLUMNS.map((c) => {
        const v = trialValue(i, c.key);
        return el("td", { class: c.num ? "num" : (c.key === "params" ? "mono" : ""),
                          text: typeof v === "number" && !Number.isInteger(v) ? fmt(v, c.key === "fit_seconds" ? 2 : 4) : v });
      })));
    table.replaceChildren(el("thead", {}, header), el("tbody", {}, rows));
  }
  function renderDetail() {
    const trial = items.find((i) => i.trial_id === state.selected) || items[0];
    if (!trial) { detail.replaceChildren(el("p", { class: "muted", text: "no completed trial yet" })); return; }
    detail.replaceChildren(el("h2", {}, "Trial ", el("span", { class: "mono", text: trial.trial_id })),
      el("p", { text: `${trial.algorithm} · ${fmt(trial.cv_mean)} ± ${fmt(trial.cv_std)} · folds ${(trial.fold_scores || []).map((s) => fmt(s, 3)).join(", ")}` }),
      el("table", { class: "report" }, Object.entries(trial.params || {}).map(([k, v]) =>
        el("tr", {}, el("td", { text: k }), el("td", { class: "mono", text: JSON.stringify(v) })))));
  }
  renderTrials(); renderDetail();

  const curve = el("div", { class: "chart", id: "best-curve" });
  const byAlgo = el("div", { class: "chart", id: "by-algorithm" });
  const report = el("div", { id: "report" });
  const reportButton = job.status === "completed" ? el("button", { id: "show-report", onclick: async () => {
    try {
      const html = await api(`/jobs/${jobId}/report`);
      report.replaceChildren(el("iframe", { title: "report", sandbox: "", style: "width:100%;height:900px;border:1px solid #dde1e8" }));
      report.firstChild.srcdoc = html;
    } catch (e) { report.replaceChildren(problem(e)); }
  } }, "Show the winner's report") : null;

  show("job", head, budgetRows(job), ...notes,
    el("div", { class: "grid" }, el("div", { class: "panel" }, el("h2", { text: "Best so far" }), curve),
       el("div", { class: "panel" }, el("h2", { text: "Score by algorithm" }), byAlgo)),
    failures,
    el("h2", { text: `Trials (${items.length} completed)` }), el("div", { class: "toolbar" }, filter),
    el("div", { class: "grid" }, table, detail), reportButton, report);

  const series = bestSoFar(items, board.greater_is_better);
  plot(curve, [{ x: series.x, y: series.scores, mode: "markers", name: "trial", marker: { color: "#9aa7bd" } },
               { x: series.x, y: series.y, mode: "lines", line: { shape: "hv", color: "#2e6bd1" }, name: "best so far" }],
       { xaxis: { title: { text: "trial" } }, yaxis: { title: { text: job.metric || "score" } }, showlegend: false });
  const algos = [...new Set(items.map((i) => i.algorithm))];
  plot(byAlgo, algos.map((a) => ({ type: "box", name: a, boxpoints: "all", jitter: 0.4,
    y: items.filter((i) => i.algorithm === a).map((i) => i.cv_mean) })),
    { showlegend: false, yaxis: { title: { text: job.metric || "score" } } });
  return active;
}

// ------------------------------------------------------------------ registry

async function modelsView() {
  const models = await api("/models");
  show("models", el("h1", { text: "Model registry" }),
    el("table", { id: "models-table" },
      el("thead", {}, el("tr", {}, ["name", "latest", "champion", "challenger", "updated"].map((h) => el("th", { text: h })))),
      el("tbody", {}, models.map((m) => el("tr", { class: "clickable", "data-model": m.name,
        onclick: () => { location.hash = `#/models/${encodeURIComponent(m.name)}`; } },
        el("td", {}, el("a", { href: `#/models/${encodeURIComponent(m.name)}`, text: m.name })),
        el("td", { class: "num", text: m.latest_version }),
        el("td", { class: "num", text: (m.aliases || {}).champion ?? "-" }),
        el("td", { class: "num", text: (m.aliases || {}).challenger ?? "-" }),
        el("td", { text: age(m.updated_at) }))))),
    models.length ? null : el("p", { class: "muted", text: "no model registered yet: a completed job registers its winner" }));
}

async function modelView(name) {
  const [model, evals] = await Promise.all([api(`/models/${encodeURIComponent(name)}`),
                                            api(`/models/${encodeURIComponent(name)}/evaluations`)]);
  const rows = (model.versions || []).map((v) => el("tr", { "data-version": v.version },
    el("td", { class: "num", text: v.version }), el("td", { text: (v.aliases || []).join(", ") || "-" }),
    el("td", { text: v.algorithm }), el("td", { text: v.metric }),
    el("td", { class: "num", text: fmt(v.cv_mean) }), el("td", { class: "num", text: fmt(v.holdout_score) }),
    el("td", {}, el("a", { href: `#/jobs/${v.job_id}`, class: "mono", text: (v.job_id || "").slice(0, 12) })),
    el("td", { text: age(v.registered_at) }),
    el("td", {}, token() && !(v.aliases || []).includes("champion") ? el("button", { class: "promote", onclick: async () => {
      try { await api(`/models/${encodeURIComponent(name)}/aliases/champion`, { method: "POST", body: { version: v.version } }); tick(); }
      catch (e) { alert(e.message); }
    } }, "Make champion") : null)));
  const chart = el("div", { class: "chart", id: "evaluations-chart" });
  show("model", el("h1", { text: name }),
    el("p", { class: "muted", text: `aliases: ${Object.entries(model.aliases || {}).map(([a, v]) => `${a} → v${v}`).join(", ") || "none"}` }),
    el("h2", { text: "Versions" }),
    el("table", { id: "versions-table" }, el("thead", {}, el("tr", {},
      ["v", "aliases", "algorithm", "metric", "cv", "holdout", "job", "registered", ""].map((h) => el("th", { text: h })))),
      el("tbody", {}, rows)),
    el("div", { class: "grid" }, el("div", { class: "panel" }, el("h2", { text: "Scores over time" }), chart),
       el("div", { class: "panel" }, el("h2", { text: "Alias history" }), el("ul", {}, (model.alias_history || []).map((h) =>
         el("li", { text: `${h.alias || ""} → v${h.version ?? "?"} ${h.reason ? `(${h.reason})` : ""} ${h.at ? age(h.at) : ""}` }))))));
  const versions = model.versions || [];
  const items = evals.items || [];
  plot(chart, [
    { x: versions.map((v) => v.registered_at), y: versions.map((v) => v.holdout_score), mode: "markers+lines",
      name: "holdout at registration", text: versions.map((v) => `v${v.version}`) },
    { x: items.map((e) => e.evaluated_at || e.created_at || e.at), y: items.map((e) => e.score), mode: "markers+lines",
      name: "evaluations" },
  ], { legend: { orientation: "h" } });
}

// ------------------------------------------------------------------ routing and polling

async function tick() {
  if (!state.refresh) return;
  try {
    const keepPolling = await state.refresh();
    line(`updated ${new Date().toLocaleTimeString()}`);
    if (keepPolling === false) stopPolling();
  } catch (error) {
    show("error", problem(error));
    line(`failed ${new Date().toLocaleTimeString()}`);
  }
}

function stopPolling() { if (state.timer) clearInterval(state.timer); state.timer = null; }

function route() {
  stopPolling();
  const parts = (location.hash || "#/jobs").slice(2).split("/").map(decodeURIComponent);
  document.getElementById("nav-jobs").classList.toggle("active", parts[0] === "jobs");
  document.getElementById("nav-models").classList.toggle("active", parts[0] === "models");
  if (parts[0] === "models" && parts[1]) state.refresh = () => modelView(parts[1]);
  else if (parts[0] === "models") state.refresh = modelsView;
  else if (parts[0] === "jobs" && parts[1]) {
    if (state.jobId !== parts[1]) { state.sort = { key: "rank", dir: 1 }; state.filter = ""; state.selected = null; }
    state.jobId = parts[1];
    state.refresh = () => jobView(parts[1]);
  } else state.refresh = jobsView;
  tick();
  state.timer = setInterval(tick, POLL_MS);
}

function tokenState() {
  document.getElementById("token-state").textContent = token() ? "token set (this tab only)" : "no token";
}

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("token");
  if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  else sessionStorage.removeItem(TOKEN_KEY);
  input.value = "";
  tokenState();
  route();
});
window.addEventListener("hashchange", route);
tokenState();
route();
