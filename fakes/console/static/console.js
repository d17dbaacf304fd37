// The llm-fakes console: a live, virtualized request list and controls, talking only to the
// control plane (/_fake/...). No build step, no dependencies.

const ROW = 22; // px, fixed: the list renders only the rows in view
const PAGE = 2000; // summaries per request when (re)loading the log
const $ = (id) => document.getElementById(id);

const view = {
  base: "", // "" for this fake, "/_fake/peers/NAME" for another fake of the stack
  rows: [], // summaries, oldest first
  index: new Map(), // id -> position in rows
  selected: null, // id shown in the details pane
  checked: new Set(), // ids picked for a cassette
  limit: 1000,
  source: null,
  info: null,
  drawn: false,
  buffer: null, // non-null while (re)loading
};

async function call(path, options = {}) {
  const response = await fetch(view.base + path, {
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    ...options,
  });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  if (!response.ok) {
    const message = body && body.detail ? body.detail : text;
    throw new Error(`${options.method || "GET"} ${path}: ${response.status} ${message}`);
  }
  return body;
}

function report(error) {
  $("error").textContent = error ? String(error.message || error) : "";
}

async function act(work) {
  try { report(null); await work(); } catch (error) { report(error); }
}

// --- the request list ------------------------------------------------------------------

function reindex() {
  view.index = new Map(view.rows.map((row, i) => [row.id, i]));
}

function upsert(row) {
  const at = view.index.get(row.id);
  if (at !== undefined) { view.rows[at] = row; return; }
  const last = view.rows.length ? view.rows[view.rows.length - 1].id : 0;
  if (row.id < last) return; // older than what we hold: only a reload brings it
  view.rows.push(row);
  view.index.set(row.id, view.rows.length - 1);
  if (view.rows.length > view.limit) {
    view.rows.splice(0, view.rows.length - view.limit); // the server's bound, mirrored
    reindex();
  }
}

async function loadAll() {
  view.buffer = []; // live events that arrive while the pages load are applied after them
  const rows = [];
  let since = 0;
  try {
    for (;;) {
      const page = await call(`/_fake/requests?summary=1&since=${since}&limit=${PAGE}`);
      rows.push(...page.requests);
      view.limit = page.limit;
      if (page.requests.length < PAGE) break;
      since = page.requests[page.requests.length - 1].id;
    }
  } finally {
    const buffered = view.buffer;
    view.buffer = null;
    view.rows = rows;
    reindex();
    for (const row of buffered) upsert(row);
    scheduleDraw();
  }
}

let pending = false;
function scheduleDraw() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; draw(); });
}

const fmt = (seconds) => (seconds === null || seconds === undefined ? "" : `${(seconds * 1000).toFixed(1)} ms`);

function rowElement(row) {
  const element = document.createElement("div");
  element.className = "row" + (row.id === view.selected ? " selected" : "");
  element.dataset.id = row.id;
  element.dataset.status = row.status ?? "";
  const cells = [
    ["c-sel", null], ["c-id", row.id], ["c-method", row.method], ["c-path", row.path],
    ["c-model", row.model ?? ""],
    ["c-status", row.status ?? "…"], ["c-ttft", fmt(row.ttft)], ["c-dur", fmt(row.duration)],
    ["c-stream", row.streamed ? "SSE" : ""],
  ];
  for (const [name, value] of cells) {
    const cell = document.createElement("span");
    cell.className = name;
    if (name === "c-sel") {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = view.checked.has(row.id);
      box.addEventListener("click", (event) => {
        event.stopPropagation();
        if (box.checked) view.checked.add(row.id); else view.checked.delete(row.id);
      });
      cell.append(box);
    } else {
      cell.textContent = value;
    }
    if (name === "c-status") {
      cell.classList.add(row.status ? `s-${String(row.status)[0]}` : "s-pending");
      if (row.status && !row.complete && row.duration !== null) {
        // the status line went out, then the body stopped short: say so beside it
        const cut = document.createElement("span");
        cut.className = "cut";
        cut.textContent = "cut";
        cut.title = "the response ended before its end (a cut connection or a client that left)";
        cell.append(" ", cut);
        element.classList.add("incomplete");
      }
    }
    element.append(cell);
  }
  element.addEventListener("click", () => select(row.id));
  return element;
}

function draw() {
  const list = $("list");
  const total = view.rows.length;
  $("spacer").style.height = `${total * ROW}px`;
  const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
  const last = Math.min(total, first + Math.ceil(list.clientHeight / ROW) + 10);
  for (const old of list.querySelectorAll(".row")) old.remove();
  const fragment = document.createDocumentFragment();
  for (let position = first; position < last; position++) {
    const row = view.rows[total - 1 - position]; // newest on top
    const element = rowElement(row);
    element.style.top = `${position * ROW}px`;
    fragment.append(element);
  }
  list.append(fragment);
  $("count").textContent = `${total} request${total === 1 ? "" : "s"} (log keeps ${view.limit})`;
  view.drawn = true;
}

// --- live updates ----------------------------------------------------------------------

function connect() {
  if (view.source) view.source.close();
  const source = new EventSource(view.base + "/_fake/events");
  view.source = source;
  const badge = $("connection");
  source.addEventListener("hello", () => {
    badge.textContent = "live";
    badge.classList.add("live");
    act(loadAll); // (re)connected: whatever happened meanwhile is in the log
  });
  for (const kind of ["new", "update"]) {
    source.addEventListener(kind, (event) => {
      const row = JSON.parse(event.data);
      if (view.buffer) view.buffer.push(row); else upsert(row);
      scheduleDraw();
      if (row.id === view.selected) scheduleDetails();
      if (row.duration !== null) scheduleInfo(); // faults fire, cooldowns start ...
    });
  }
  source.addEventListener("clear", () => { view.rows = []; reindex(); scheduleDraw(); });
  source.addEventListener("dropped", () => { badge.textContent = "catching up"; });
  source.addEventListener("bye", () => { // the fake stopped; the page reconnects if it returns
    badge.textContent = "fake stopped";
    badge.classList.remove("live");
  });
  source.onerror = () => { badge.textContent = "reconnecting"; badge.classList.remove("live"); };
}

// --- details ---------------------------------------------------------------------------

let infoTimer = null;
function scheduleInfo() {
  if (infoTimer) return;
  infoTimer = setTimeout(() => { infoTimer = null; act(() => refreshInfo(false)); }, 500);
}

let detailsTimer = null;
function scheduleDetails() {
  if (detailsTimer) return;
  detailsTimer = setTimeout(() => { detailsTimer = null; act(showDetails); }, 100);
}

function select(id) {
  view.selected = id;
  scheduleDraw();
  act(showDetails);
}

async function showDetails() {
  if (view.selected === null) return;
  const entry = await call(`/_fake/requests/${view.selected}`);
  $("details-empty").hidden = true;
  $("details-body").hidden = false;
  $("details-title").textContent = `#${entry.id} ${entry.method} ${entry.path}${entry.query ? "?" + entry.query : ""} -> ${entry.status ?? "…"}`;
  $("request-body").textContent = entry.json !== null ? JSON.stringify(entry.json, null, 2) : entry.body;
  $("response-headers").textContent = Object.entries(entry.response_headers).map(([k, v]) => `${k}: ${v}`).join("\n");
  $("response-bytes").textContent = entry.response;
  const body = $("events").querySelector("tbody");
  body.replaceChildren();
  for (const event of entry.events || []) {
    const tr = document.createElement("tr");
    tr.className = "event-row";
    const offset = document.createElement("td");
    offset.className = "offset";
    offset.textContent = event.offset.toFixed(4);
    const data = document.createElement("td");
    data.textContent = event.data.replace(/\n+$/, ""); // one event per row; bytes are below
    tr.append(offset, data);
    body.append(tr);
  }
  $("scenario-text").hidden = true;
}

// --- controls --------------------------------------------------------------------------

function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

function knobControl(name, value, kind) {
  if (kind.choices) {
    const select = document.createElement("select");
    const choices = kind.choices.some((c) => same(c, value)) ? kind.choices : [value, ...kind.choices];
    for (const choice of choices) {
      const option = document.createElement("option");
      option.value = JSON.stringify(choice);
      option.textContent = typeof choice === "string" ? choice : JSON.stringify(choice);
      option.selected = same(choice, value);
      select.append(option);
    }
    select.addEventListener("change", () => setKnob(name, JSON.parse(select.value)));
    return select;
  }
  const input = document.createElement("input");
  input.value = JSON.stringify(value);
  input.addEventListener("change", () => act(async () => {
    let parsed;
    try { parsed = JSON.parse(input.value); } catch { throw new Error(`${name}: not JSON`); }
    await setKnob(name, parsed);
  }));
  return input;
}

function knobRow(name, info) {
  const line = document.createElement("label");
  line.className = "quirk" + (name in info.profile.overrides ? " changed" : "");
  const caption = document.createElement("span");
  caption.textContent = name;
  const control = knobControl(name, info.profile.knobs[name], info.knob_kinds[name]);
  control.id = `knob-${name}`;
  line.append(caption, control);
  return line;
}

async function setKnob(name, value) {
  await act(async () => {
    await call("/_fake/profile", { method: "PATCH", body: JSON.stringify({ [name]: value }) });
    await refreshInfo();
  });
}

function renderFaults(info) {
  $("faults").textContent = info.faults.length
    ? info.faults.map((rule, i) => `${JSON.stringify(rule.fault)}: fired ${info.faults_fired[i]}` +
        (rule.times ? ` of ${rule.times}` : "")).join("\n")
    : "no faults armed";
}

// controls: false redraws only what traffic changes, never a control the user may be using
async function refreshInfo(controls = true) {
  const info = await call("/_fake/console");
  view.info = info;
  view.limit = info.log.limit;
  renderFaults(info);
  if (!controls) return;
  $("title").textContent = `llm-fakes console · ${info.label}`;
  $("profile-line").textContent = `${info.profile.name} (${info.version}): ${info.profile.summary}`;
  const profile = $("profile");
  profile.replaceChildren();
  for (const choice of info.profiles) {
    const option = document.createElement("option");
    option.value = choice.name;
    option.textContent = `${choice.name} (${choice.versions})`;
    option.selected = choice.name === info.profile.base;
    profile.append(option);
  }
  if (!info.profiles.some((p) => p.name === info.profile.base)) {
    const option = document.createElement("option");
    option.textContent = info.profile.base;
    option.selected = true;
    profile.prepend(option);
  }
  $("quirks").replaceChildren(...info.highlights.map((name) => knobRow(name, info)));
  $("all-knobs").replaceChildren(
    ...Object.keys(info.profile.knobs).filter((n) => !info.highlights.includes(n)).map((n) => knobRow(n, info)),
  );
  $("fault-box").hidden = !info.features.faults;
  $("timing-box").hidden = !info.features.timing;
  if (info.timing) { $("ttft").value = info.timing.ttft; $("itl").value = info.timing.itl; }
  $("equivalent-yaml").textContent = info.equivalent.yaml;
  $("equivalent-cli").textContent = info.equivalent.cli;
}

function tabs(top) {
  const nav = $("tabs");
  const all = [{ name: "self", label: top.label, base: "" }, ...top.peers];
  nav.hidden = all.length < 2;
  nav.replaceChildren(...all.map((peer) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = peer.label;
    button.dataset.base = peer.base;
    button.className = peer.base === view.base ? "active" : "";
    button.addEventListener("click", () => act(async () => { await open(peer.base); tabs(top); }));
    return button;
  }));
}

async function open(base) {
  view.base = base;
  view.selected = null;
  view.checked.clear();
  $("details-empty").hidden = false;
  $("details-body").hidden = true;
  connect(); // first: the event stream reconnects by itself if the fake is not up yet
  await refreshInfo();
}

// The first load: the profile list and controls come from /_fake/console. A call that fails
// (the fake still starting, a proxy hiccup) is retried, never left on "connecting".
async function start() {
  for (let wait = 250; ; wait = Math.min(wait * 2, 4000)) {
    try {
      await refreshInfo();
      report(null);
      break;
    } catch (error) {
      report(error);
      if (!$("connection").classList.contains("live")) $("connection").textContent = "connecting (retrying)";
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  tabs(view.info);
}

function wire() {
  $("list").addEventListener("scroll", scheduleDraw);
  window.addEventListener("resize", scheduleDraw);
  $("profile").addEventListener("change", () => act(async () => {
    await call("/_fake/profile", { method: "PUT", body: JSON.stringify({ name: $("profile").value }) });
    await refreshInfo();
  }));
  $("arm-fault").addEventListener("click", () => act(async () => {
    const fault = { kind: $("fault-kind").value };
    if (fault.kind === "http_error") fault.status = Number($("fault-status").value);
    if (["error_frame", "cut", "stall"].includes(fault.kind)) fault.after_chunks = Number($("fault-after").value);
    if (["stall", "delay"].includes(fault.kind)) fault.seconds = Number($("fault-seconds").value);
    const rules = await call("/_fake/faults");
    rules.push({ fault, times: Number($("fault-times").value) });
    await call("/_fake/faults", { method: "PUT", body: JSON.stringify(rules) });
    await refreshInfo();
  }));
  $("clear-faults").addEventListener("click", () => act(async () => {
    await call("/_fake/faults", { method: "DELETE" });
    await refreshInfo();
  }));
  $("set-timing").addEventListener("click", () => act(async () => {
    const timing = { ...view.info.timing, ttft: Number($("ttft").value), itl: Number($("itl").value) };
    await call("/_fake/timing", { method: "PUT", body: JSON.stringify(timing) });
    await refreshInfo();
  }));
  $("reset").addEventListener("click", () => act(async () => {
    await call("/_fake/reset", { method: "POST" });
    await refreshInfo();
  }));
  $("clear-log").addEventListener("click", () => act(() => call("/_fake/requests", { method: "DELETE" })));
  $("select-all").addEventListener("change", () => {
    if ($("select-all").checked) view.rows.forEach((row) => view.checked.add(row.id));
    else view.checked.clear();
    scheduleDraw();
  });
  $("save-cassette").addEventListener("click", () => act(async () => {
    const ids = [...view.checked].sort((a, b) => a - b);
    if (!ids.length && view.selected !== null) ids.push(view.selected);
    if (!ids.length) throw new Error("tick the requests to save (or select one)");
    const saved = await call("/_fake/cassettes", {
      method: "POST", body: JSON.stringify({ ids, path: $("cassette-name").value }),
    });
    $("save-result").textContent = `saved ${saved.interactions} interaction(s) to ${saved.path}`;
  }));
  $("save-scenario").addEventListener("click", () => act(async () => {
    const body = { id: view.selected };
    if ($("scenario-name").value) body.scenario = $("scenario-name").value;
    const saved = await call("/_fake/scenarios", { method: "POST", body: JSON.stringify(body) });
    $("save-result").textContent = `scenario stub written to ${saved.path}`;
    $("scenario-text").textContent = saved.text;
    $("scenario-text").hidden = false;
  }));
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", () => act(async () => {
      await navigator.clipboard.writeText($(button.dataset.copy).textContent);
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1000);
    }));
  }
}

wire();
connect();
start();
