// skucut web page: upload photos, show before/after, download one or all.
"use strict";

const $ = (id) => document.getElementById(id);
const files = [];  // {file, card}

async function loadPresets() {
  const response = await fetch("/v1/presets");
  if (!response.ok) return;
  const { presets } = await response.json();
  for (const [name, preset] of Object.entries(presets)) {
    const option = new Option(`${name} — ${preset.description || ""}`, name);
    $("preset").add(option);
  }
}

function optionParams() {
  const params = new URLSearchParams();
  if ($("preset").value) params.set("preset", $("preset").value);
  if ($("bg-mode").value === "color") params.set("bg_color", $("bg-color").value);
  if ($("format").value) params.set("format", $("format").value);
  return params;
}

function headers() {
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

const EXTENSIONS = { "image/png": "png", "image/webp": "webp", "image/jpeg": "jpg" };

async function process(entry) {
  const { file, card } = entry;
  card.classList.add("busy");
  card.querySelector(".error").textContent = "";
  const body = new FormData();
  body.append("file", file);
  try {
    const response = await fetch(`/v1/remove?${optionParams()}`, {
      method: "POST", body, headers: headers(),
    });
    if (!response.ok) throw new Error(await errorText(response));
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    card.querySelector(".after").src = url;
    const link = card.querySelector(".download");
    link.href = url;
    link.download = file.name.replace(/\.[^.]+$/, "") + "." + (EXTENSIONS[blob.type] || "png");
    link.hidden = false;
  } catch (error) {
    card.querySelector(".error").textContent = error.message;
  } finally {
    card.classList.remove("busy");
  }
}

function addCard(file) {
  const card = $("card").content.firstElementChild.cloneNode(true);
  card.querySelector(".before").src = URL.createObjectURL(file);
  card.querySelector(".name").textContent = file.name;
  const slider = card.querySelector(".slider");
  slider.setAttribute("aria-label", `Before/after for ${file.name}`);
  slider.addEventListener("input", () => {
    // Original on the left of the handle, result (on the checkerboard) on the right.
    card.querySelector(".before").style.clipPath = `inset(0 ${100 - slider.value}% 0 0)`;
    card.querySelector(".after-wrap").style.clipPath = `inset(0 0 0 ${slider.value}%)`;
  });
  $("results").append(card);
  return card;
}

async function addFiles(list) {
  const added = [...list].filter((f) => f.type.startsWith("image/") || f.name.match(/\.(heic|heif)$/i));
  const entries = added.map((file) => ({ file, card: addCard(file) }));
  files.push(...entries);
  $("download-all").disabled = files.length === 0;
  $("status").textContent = `${entries.length} photo(s) added`;
  for (const entry of entries) await process(entry);  // one at a time: the server decides the pace
  $("status").textContent = "done";
}

async function downloadAll() {
  const body = new FormData();
  for (const { file } of files) body.append("files", file);
  $("status").textContent = "preparing ZIP…";
  const response = await fetch(`/v1/remove/batch?${optionParams()}`, {
    method: "POST", body, headers: headers(),
  });
  if (!response.ok) {
    $("status").textContent = await errorText(response);
    return;
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = "skucut.zip";
  link.click();
  $("status").textContent = "ZIP downloaded";
}

const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  addFiles(e.dataTransfer.files);
});
drop.addEventListener("click", (e) => { if (e.target === drop) $("files").click(); });
drop.addEventListener("keydown", (e) => {
  if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("files").click(); }
});
$("files").addEventListener("change", (e) => { addFiles(e.target.files); e.target.value = ""; });
$("download-all").addEventListener("click", downloadAll);
// The key lives only as long as this tab (sessionStorage): never on disk, never in other tabs.
localStorage.removeItem("skucut-api-key");  // forget what older versions of this page stored
$("api-key").value = sessionStorage.getItem("skucut-api-key") || "";
$("api-key").addEventListener("change", () => sessionStorage.setItem("skucut-api-key", $("api-key").value));
loadPresets();
