// skucut web page: a queue of photos, each cut out once by the server and then composed,
// edited and packed here, so what is downloaded is exactly what is shown.
"use strict";

import {
  IDENTITY, canvasOf, drawBackground, drawPlaced, hexColor, patchedLayer, placement,
} from "./compose.js";
import { Editor } from "./editor.js";
import { zipBlob } from "./zip.js";

const $ = (id) => document.getElementById(id);
// Preset fields that change the cutout itself, and those that place it (a server job each);
// background and format are applied here, without a request.
const EDGE_FIELDS = ["refine", "cleanup", "decontaminate"];
const PLACE_FIELDS = ["trim", "margin", "canvas", "fill", "align", "shadow", "shadow_opacity", "upscale"];
const TYPES = { png: "image/png", webp: "image/webp", jpg: "image/jpeg" };
const THUMB_SIDE = 1024;  // the "before" image is only shown, never downloaded
const KEPT_LAYERS = 2;  // placed layers kept per photo (a 2000 px one takes 16 MB)
const BUSY_RETRIES = 3;  // a 503 (server queue full) is retried after its Retry-After
const STATE_TEXT = { waiting: "waiting", working: "working…", done: "done", review: "check this", failed: "failed" };

const state = { presets: {}, config: { feedback: false }, entries: [], nextId: 1 };
const background = { mode: "transparent", color: "#ffffff", photo: null, photoUrl: null };

// ---- server ----------------------------------------------------------------------------

function authHeaders() {
  const key = $("api-key").value.trim();
  return key ? { "X-API-Key": key } : {};
}

async function errorText(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : body.error;
  } catch {
    return `HTTP ${response.status}`;
  }
}

async function getJson(path) {
  const response = await fetch(path);
  return response.ok ? response.json() : null;
}

async function loadSettings() {
  const [presets, models, config] = await Promise.all(
    ["/v1/presets", "/v1/models", "/v1/config"].map(getJson));
  state.presets = presets?.presets || {};
  for (const name of Object.keys(state.presets)) $("preset").add(new Option(name, name));
  for (const model of models?.models || []) {
    if (model.task === "segmentation" && model.name !== models.default) {
      $("model").add(new Option(model.name, model.name));
    }
  }
  if (models) $("model").options[0].text = `${models.default} (default)`;
  state.config = config || state.config;
}

function preset() {
  return state.presets[$("preset").value] || {};
}

function fieldValue(value) {
  return Array.isArray(value) ? value.join("x") : String(value);  // canvas [w, h] -> "WxH"
}

/** The request for the photo-sized transparent cutout (edited and sent back as feedback). */
function cutoutParams() {
  const params = new URLSearchParams({ format: "png" });
  if ($("model").value) params.set("model", $("model").value);
  for (const field of EDGE_FIELDS) {
    if (field in preset()) params.set(field, fieldValue(preset()[field]));
  }
  // The switch asks for the product alone; choosing a preset that does (amazon-main) sets it.
  if ($("product-only").checked) params.set("product_only", "true");
  return params;
}

/** The request for the preset's placed, still transparent layer; null when it places nothing. */
function layerParams() {
  const fields = PLACE_FIELDS.filter((field) => field in preset());
  if (!fields.length) return null;
  const params = cutoutParams();
  for (const field of fields) params.set(field, fieldValue(preset()[field]));
  return params;
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function removeBackground(file, params) {
  const body = new FormData();
  body.append("file", file);
  let response;
  for (let attempt = 0; ; attempt++) {
    response = await fetch(`/v1/remove?${params}`, { method: "POST", body, headers: authHeaders() });
    if (response.status !== 503 || attempt === BUSY_RETRIES) break;
    await sleep(Math.min(10, Number(response.headers.get("Retry-After")) || 2));
  }
  if (!response.ok) throw new Error(await errorText(response));
  const blob = await response.blob();
  const review = {
    confidence: Number(response.headers.get("X-Skucut-Confidence")),
    needs_review: response.headers.get("X-Skucut-Needs-Review") === "true",
    reason: response.headers.get("X-Skucut-Review-Reason") || "",
    reasons: JSON.parse(response.headers.get("X-Skucut-Reasons") || "[]"),
  };
  return { bitmap: await createImageBitmap(blob), review };
}

// ---- the queue ---------------------------------------------------------------------------

function needsWork(entry) {
  if (!entry.cutout || entry.cutout.key !== cutoutParams().toString()) return true;
  const params = layerParams();
  return Boolean(params) && !entry.layers.has(params.toString());
}

async function fetchCutout(entry) {
  const params = cutoutParams();
  const { bitmap, review } = await removeBackground(entry.file, params);
  const canvas = canvasOf(bitmap.width, bitmap.height);
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  entry.cutout = { key: params.toString(), base: bitmap, canvas };
  entry.review = review;
  for (const layer of entry.layers.values()) layer.bitmap.close();
  entry.layers.clear();  // placed from the old cutout
  entry.strokes = [];
  entry.redo = [];
  entry.touched = null;
  entry.sent = false;
  hideExplain(entry);  // drawn for the old cutout
  entry.unsureMap?.close();
  entry.unsureMap = null;
}

/** The model's uncertainty map for the cutout the card shows, for the editor: once per cutout. */
async function unsureMap(entry) {
  entry.unsureMap ??= await createImageBitmap(await pictureOf(entry, "uncertainty"));
  return entry.unsureMap;
}

// ---- explain pictures ---------------------------------------------------------------------

/** What /v1/remove answers for the card's photo and options with ``flag=true`` (a picture). */
async function pictureOf(entry, flag) {
  const params = cutoutParams();
  params.set(flag, "true");
  const body = new FormData();
  body.append("file", entry.file);
  const response = await fetch(`/v1/remove?${params}`, { method: "POST", body, headers: authHeaders() });
  if (!response.ok) throw new Error(await errorText(response));
  return response.blob();
}

/** What the model saw, for the cutout the card shows: fetched once per cutout, on request. */
async function toggleExplain(entry) {
  const img = entry.card.querySelector(".explain");
  const button = entry.card.querySelector(".why");
  if (!img.hidden) { img.hidden = true; button.setAttribute("aria-pressed", "false"); return; }
  button.setAttribute("aria-pressed", "true");
  if (!entry.explainUrl) {
    button.disabled = true;
    try {
      entry.explainUrl = URL.createObjectURL(await pictureOf(entry, "explain"));
    } catch (error) {
      entry.card.querySelector(".error").textContent = `explain: ${error.message}`;
      button.setAttribute("aria-pressed", "false");
      return;
    } finally {
      button.disabled = false;
    }
  }
  img.src = entry.explainUrl;
  img.onclick = () => window.open(entry.explainUrl, "_blank");  // full size: three panels
  img.hidden = false;
}

function hideExplain(entry) {
  if (entry.explainUrl) URL.revokeObjectURL(entry.explainUrl);
  entry.explainUrl = null;
  const img = entry.card?.querySelector(".explain");
  if (img) img.hidden = true;
  entry.card?.querySelector(".why")?.setAttribute("aria-pressed", "false");
}

async function fetchLayer(entry) {
  const params = layerParams();
  const { bitmap } = await removeBackground(entry.file, params);
  const transform = placement(entry.cutout.base, bitmap);
  entry.layers.set(params.toString(), { bitmap, transform });
  for (const [key, old] of entry.layers) {  // oldest first
    if (entry.layers.size <= KEPT_LAYERS) break;
    old.bitmap.close();
    entry.layers.delete(key);
  }
}

async function process(entry) {
  setState(entry, "working");
  try {
    if (!entry.cutout || entry.cutout.key !== cutoutParams().toString()) await fetchCutout(entry);
    const params = layerParams();
    if (params && !entry.layers.has(params.toString())) await fetchLayer(entry);
    entry.thumb ??= await thumbnail(entry);
    render(entry);
    setState(entry, needsWork(entry) ? "waiting" : "done");
  } catch (error) {
    setState(entry, "failed", error.message);
  }
}

let pumping = false;

/** One photo at a time: the server decides the pace, and the queue stays in order. */
async function pump() {
  if (pumping) return;
  pumping = true;
  try {
    let entry;
    while ((entry = state.entries.find((e) => e.status === "waiting"))) await process(entry);
  } finally {
    pumping = false;
  }
}

/** After an option change: queue what needs the server, redraw the rest at once. */
function refresh() {
  for (const entry of state.entries) {
    if (entry.status === "done" && needsWork(entry)) setState(entry, "waiting");
    else if (entry.status === "done") render(entry);
  }
  pump();
}

// ---- cards -----------------------------------------------------------------------------

function setState(entry, status, error = "") {
  entry.status = status;
  const card = entry.card;
  const shown = status === "done" && entry.review?.needs_review ? "review" : status;
  card.dataset.state = shown;
  card.querySelector(".state").textContent = STATE_TEXT[shown];
  card.querySelector(".error").textContent = error;
  const review = card.querySelector(".badge.review");
  review.hidden = !(entry.review?.needs_review && entry.cutout);
  const reasons = entry.review?.reasons?.length ? entry.review.reasons : [entry.review?.reason || ""];
  review.title = reasons.join("\n");
  review.textContent = reasons.length > 1 ? `check this (${reasons.length})` : "check this";
  card.querySelector(".note").textContent = shown === "review" ? reasons.join("; ") : "";
  card.querySelector(".why").hidden = status !== "done";
  for (const name of ["download", "edit"]) card.querySelector(`.${name}`).hidden = status !== "done";
  card.querySelector(".retry").hidden = status !== "failed";
  updateSend(entry);
  updateSummary();
}

function updateSend(entry) {
  const button = entry.card.querySelector(".send");
  button.hidden = !(state.config.feedback && entry.status === "done" && entry.strokes?.length);
  button.disabled = entry.sent;
  button.textContent = entry.sent ? "Correction sent" : "Send correction";
}

function updateSummary() {
  const counts = {};
  for (const entry of state.entries) {
    const key = entry.card.dataset.state;
    counts[key] = (counts[key] || 0) + 1;
  }
  const parts = Object.keys(STATE_TEXT).filter((k) => counts[k]).map((k) => `${counts[k]} ${STATE_TEXT[k]}`);
  $("status").textContent = parts.join(", ");
  $("download-all").disabled = !state.entries.some((e) => e.status === "done");
}

/** The photo-sized or placed result the card shows, before the background. */
function currentLayer(entry) {
  const params = layerParams();
  const layer = params && entry.layers.get(params.toString());
  if (!layer) return { source: entry.cutout.canvas, transform: IDENTITY };
  const edited = entry.touched && entry.strokes.length;
  const source = edited ? patchedLayer(layer, entry.cutout.canvas, entry.touched.canvas) : layer.bitmap;
  return { source, transform: layer.transform };
}

/** The background actually used: JPEG has no transparency, so it is shown on white. */
function shownBackground() {
  return background.mode === "transparent" && outputFormat() === "jpg"
    ? { mode: "color", color: "#ffffff" } : background;
}

function render(entry) {
  const { source, transform } = currentLayer(entry);
  const after = entry.card.querySelector(".after");
  after.width = source.width;
  after.height = source.height;
  const ctx = after.getContext("2d", { willReadFrequently: true });
  drawBackground(ctx, after.width, after.height, shownBackground());
  ctx.drawImage(source, 0, 0);
  // The original placed exactly like the product, so the halves of the slider line up.
  const before = entry.card.querySelector(".before");
  const k = Math.min(1, THUMB_SIDE / Math.max(after.width, after.height));
  before.width = Math.round(after.width * k);
  before.height = Math.round(after.height * k);
  const beforeCtx = before.getContext("2d");
  // Where a canvas preset leaves room around the placed photo, the chosen background, as in
  // the result: not the checkerboard, which would show as strips beside the photo.
  drawBackground(beforeCtx, before.width, before.height, shownBackground());
  drawPlaced(beforeCtx, entry.thumb, entry.cutout.canvas, transform, k);
}

/** A small copy of the original for the "before" half (the cutout if the browser cannot
 * decode the format, e.g. HEIC). */
async function thumbnail(entry) {
  const bitmap = await decode(entry.file);
  if (!bitmap) return entry.cutout.base;
  const k = Math.min(1, THUMB_SIDE / Math.max(bitmap.width, bitmap.height));
  const thumb = canvasOf(Math.round(bitmap.width * k), Math.round(bitmap.height * k));
  thumb.getContext("2d").drawImage(bitmap, 0, 0, thumb.width, thumb.height);
  bitmap.close();
  return thumb;
}

async function decode(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return null;
  }
}

function addCard(entry) {
  const card = $("card").content.firstElementChild.cloneNode(true);
  card.querySelector(".name").textContent = entry.file.name;
  card.querySelector(".name").title = entry.file.name;
  const slider = card.querySelector(".slider");
  slider.setAttribute("aria-label", `Before/after for ${entry.file.name}`);
  slider.addEventListener("input", () => {
    // Original on the left of the handle, result on the right.
    card.querySelector(".before").style.clipPath = `inset(0 ${100 - slider.value}% 0 0)`;
    card.querySelector(".after").style.clipPath = `inset(0 0 0 ${slider.value}%)`;
  });
  const actions = {
    download: () => downloadOne(entry),
    edit: () => editor.open(entry),
    why: () => toggleExplain(entry),
    send: () => sendCorrection(entry),
    retry: () => { setState(entry, "waiting"); pump(); },
    remove: () => removeEntry(entry),
  };
  for (const [name, action] of Object.entries(actions)) {
    const button = card.querySelector(`.${name}`);
    button.setAttribute("aria-label", `${button.textContent} ${entry.file.name}`);
    button.addEventListener("click", action);
  }
  $("results").append(card);
  return card;
}

function removeEntry(entry) {
  state.entries = state.entries.filter((e) => e !== entry);
  entry.status = "removed";  // a request in flight finishes into nothing
  entry.card.remove();
  updateSummary();
}

function addFiles(list) {
  const images = [...list].filter((f) => f.type.startsWith("image/") || /\.(heic|heif)$/i.test(f.name));
  for (const file of images) {
    const entry = { id: state.nextId++, file, status: "waiting", layers: new Map(), strokes: [], redo: [] };
    entry.card = addCard(entry);
    state.entries.push(entry);
    setState(entry, "waiting");
  }
  pump();
}

// ---- downloads and feedback ----------------------------------------------------------------

function outputFormat() {
  return $("format").value || preset().format || "png";
}

function canvasBlob(canvas, type) {
  return new Promise((resolve, reject) => canvas.toBlob(
    (blob) => (blob ? resolve(blob) : reject(new Error("cannot encode the image"))), type, 0.92));
}

function stem(name) {
  return name.replace(/\.[^.]+$/, "").replace(/[^\w.-]+/g, "_") || "image";
}

/** The shown result, encoded; a name for it. */
async function exported(entry) {
  const format = outputFormat();
  const blob = await canvasBlob(entry.card.querySelector(".after"), TYPES[format]);
  return { blob, name: `${stem(entry.file.name)}.${format}` };
}

function save(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

async function downloadOne(entry) {
  const { blob, name } = await exported(entry);
  save(blob, name);
}

function uniqueName(name, used) {
  let candidate = name;
  for (let n = 2; used.has(candidate); n++) candidate = name.replace(/(\.[^.]+)$/, `-${n}$1`);
  used.add(candidate);
  return candidate;
}

async function downloadAll() {
  const files = [], report = [], errors = [], used = new Set();
  for (const entry of state.entries) {
    if (entry.status === "failed") errors.push({ file: entry.file.name, error: entry.card.querySelector(".error").textContent });
    if (entry.status !== "done") continue;
    const { blob, name } = await exported(entry);
    const output = uniqueName(name, used);
    files.push({ name: output, blob });
    report.push({ file: entry.file.name, output, ...entry.review, edited: entry.strokes.length > 0 });
  }
  const json = (value) => new Blob([JSON.stringify(value, null, 2)], { type: "application/json" });
  files.push({ name: "report.json", blob: json(report) });
  if (errors.length) files.push({ name: "errors.json", blob: json(errors) });
  save(await zipBlob(files), "skucut.zip");
  $("status").textContent = `ZIP of ${report.length} image(s) downloaded`;
}

async function sendCorrection(entry) {
  const body = new FormData();
  body.append("photo", entry.file);
  body.append("alpha", await canvasBlob(entry.cutout.canvas, "image/png"), "alpha.png");
  body.append("model", $("model").value || state.config.default_model || "");
  const options = Object.fromEntries(layerParams() || cutoutParams());
  if ($("preset").value) options.preset = $("preset").value;
  body.append("options", JSON.stringify(options));
  const response = await fetch("/v1/feedback", { method: "POST", body, headers: authHeaders() });
  if (response.ok) {
    entry.sent = true;
    updateSend(entry);
  } else {
    entry.card.querySelector(".error").textContent = `correction not sent: ${await errorText(response)}`;
  }
}

// ---- background controls -----------------------------------------------------------------

function setBackground(mode, color) {
  background.mode = mode;
  if (color) background.color = $("bg-color").value = hexColor(color);
  let matched = false;
  for (const swatch of document.querySelectorAll(".swatch[data-bg]")) {
    const value = swatch.dataset.bg;
    const on = value === "transparent" ? mode === "transparent" : mode === "color" && value === background.color;
    swatch.setAttribute("aria-pressed", String(on));
    matched ||= on;
  }
  document.querySelector(".swatch.picker").classList.toggle("on", mode === "color" && !matched);
  document.querySelector(".swatch.photo").classList.toggle("on", mode === "photo");
  for (const entry of state.entries) if (entry.status === "done") render(entry);
  if (editor.entry) showBackground(editor.stage);
}

/** The editor shows the background with CSS, under the canvas being edited. */
function showBackground(stage) {
  const shown = shownBackground();
  stage.classList.toggle("checker", shown.mode === "transparent");
  stage.style.backgroundColor = shown.mode === "color" ? shown.color : "";
  stage.style.backgroundImage = shown.mode === "photo" ? `url(${background.photoUrl})` : "";
}

async function setBackgroundPhoto(file) {
  const bitmap = await decode(file);
  if (!bitmap) return;
  if (background.photoUrl) URL.revokeObjectURL(background.photoUrl);
  background.photo = bitmap;
  background.photoUrl = URL.createObjectURL(file);
  setBackground("photo");
}

function onPresetChange() {
  const chosen = preset();
  $("preset-hint").textContent = chosen.description || "";
  if ($("preset").value) {
    if (chosen.bg_color) setBackground("color", chosen.bg_color);
    else setBackground("transparent");
  }
  $("product-only").checked = Boolean(chosen.product_only);
  refresh();
}

// ---- wiring ----------------------------------------------------------------------------

const editor = new Editor({
  background: showBackground,
  decode,
  changed: (entry) => { render(entry); updateSend(entry); },
  unsure: unsureMap,
});

function imageFiles(transfer) {
  return [...(transfer?.files || [])].filter((f) => f.type.startsWith("image/") || /\.(heic|heif)$/i.test(f.name));
}

function bindInputs() {
  const overlay = $("drop-overlay");
  const carriesFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");
  document.addEventListener("dragover", (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    overlay.hidden = false;
  });
  document.addEventListener("dragleave", (e) => { if (!e.relatedTarget) overlay.hidden = true; });
  document.addEventListener("drop", (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    overlay.hidden = true;
    addFiles(imageFiles(e.dataTransfer));
  });
  document.addEventListener("paste", (e) => {
    const pasted = imageFiles(e.clipboardData);
    if (!pasted.length) return;  // text into a field stays text
    e.preventDefault();
    addFiles(pasted.map((file, i) => (file.name && file.name !== "image.png" ? file
      : new File([file], `pasted-${Date.now()}-${i + 1}.png`, { type: file.type }))));
  });
  const drop = $("drop");
  drop.addEventListener("click", (e) => { if (e.target === drop || e.target.tagName === "P") $("files").click(); });
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("files").click(); }
  });
  $("files").addEventListener("change", (e) => { addFiles(e.target.files); e.target.value = ""; });
  $("download-all").addEventListener("click", downloadAll);
  $("preset").addEventListener("change", onPresetChange);
  $("model").addEventListener("change", refresh);
  $("product-only").addEventListener("change", refresh);
  $("format").addEventListener("change", () => setBackground(background.mode));
  for (const swatch of document.querySelectorAll(".swatch[data-bg]")) {
    swatch.addEventListener("click", () => {
      const value = swatch.dataset.bg;
      if (value === "transparent") setBackground("transparent");
      else setBackground("color", value);
    });
  }
  $("bg-color").addEventListener("input", (e) => setBackground("color", e.target.value));
  $("bg-photo").addEventListener("change", (e) => { if (e.target.files[0]) setBackgroundPhoto(e.target.files[0]); });
  // The key lives only as long as this tab (sessionStorage): never on disk, never in other tabs.
  localStorage.removeItem("skucut-api-key");  // forget what older versions of this page stored
  $("api-key").value = sessionStorage.getItem("skucut-api-key") || "";
  $("api-key").addEventListener("change", () => sessionStorage.setItem("skucut-api-key", $("api-key").value));
}

bindInputs();
loadSettings().then(() => document.body.classList.add("ready"));
