// The erase / restore brush: edits the alpha of a photo-sized cutout canvas.
// An edit is a list of strokes replayed on the server's cutout, so undo and redo are exact
// and cost no memory per step. Erase clears alpha; restore brings back the original photo's
// pixels at full alpha. `entry.touched` records where anything was painted, so placed
// layers (canvas presets) can carry the edits (compose.js: patchedLayer).
"use strict";

import { canvasOf } from "./compose.js";

const $ = (id) => document.getElementById(id);
const ZOOM_STEP = 1.25;
const MIN_ZOOM = 0.05, MAX_ZOOM = 16;

function segmentBox(a, b, radius, width, height) {
  const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - radius));
  const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - radius));
  const x1 = Math.min(width, Math.ceil(Math.max(a[0], b[0]) + radius));
  const y1 = Math.min(height, Math.ceil(Math.max(a[1], b[1]) + radius));
  return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
}

function strokeSegment(ctx, a, b, width) {
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.lineWidth = width;
  ctx.strokeStyle = "#000";
  ctx.beginPath();
  ctx.moveTo(a[0], a[1]);
  ctx.lineTo(b[0] + (a[0] === b[0] && a[1] === b[1] ? 0.01 : 0), b[1]);  // a dot is a segment
  ctx.stroke();
}

/** Paint one segment of a stroke onto the cutout (and the touched mask). */
function paintSegment(target, stroke, a, b) {
  const { cutout, touched, scratch, original } = target;
  const { width, height } = cutout.canvas;
  strokeSegment(touched, a, b, stroke.width);
  if (stroke.mode === "erase") {
    cutout.globalCompositeOperation = "destination-out";
    strokeSegment(cutout, a, b, stroke.width);
    cutout.globalCompositeOperation = "source-over";
    return;
  }
  // Restore: the original's pixels inside the segment, drawn over the cutout (only the
  // segment's box is touched, so a 24 MP photo paints as fast as a small one).
  const [x, y, w, h] = segmentBox(a, b, stroke.width / 2 + 2, width, height);
  if (!w || !h) return;
  scratch.clearRect(x, y, w, h);
  strokeSegment(scratch, a, b, stroke.width);
  scratch.globalCompositeOperation = "source-in";
  scratch.drawImage(original, x, y, w, h, x, y, w, h);
  scratch.globalCompositeOperation = "source-over";
  cutout.drawImage(scratch.canvas, x, y, w, h, x, y, w, h);
}

/** The model's uncertainty map (grey, white = unsure) as a see-through layer of magenta
 * stripes: stripes never pass for the product's own colour (a red layer on a red saucer
 * would), and faint doubt stays clear so the few places worth a look stand out. */
function unsureLayer(map, width, height) {
  const canvas = canvasOf(width, height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(map, 0, 0, width, height);
  const pixels = ctx.getImageData(0, 0, width, height);
  const data = pixels.data;
  const period = Math.max(6, Math.round(Math.max(width, height) / 120));
  for (let i = 0, p = 0; i < data.length; i += 4, p++) {
    const x = p % width, y = (p - x) / width;
    const stripe = (x + y) % period < period / 2;
    const unsure = data[i];
    data[i] = 255; data[i + 1] = 0; data[i + 2] = 255;
    data[i + 3] = unsure < 40 || !stripe ? 0 : Math.round(90 + unsure * 0.6);
  }
  ctx.putImageData(pixels, 0, 0);
  canvas.classList.add("unsure-map");
  return canvas;
}

function paintStroke(target, stroke) {
  const points = stroke.points;
  paintSegment(target, stroke, points[0], points[0]);
  for (let i = 1; i < points.length; i++) paintSegment(target, stroke, points[i - 1], points[i]);
}

export class Editor {
  /** hooks: {background(stage), decode(file) -> ImageBitmap|null, changed(entry),
   *  unsure(entry) -> ImageBitmap (the model's uncertainty map)} */
  constructor(hooks) {
    this.hooks = hooks;
    this.dialog = $("editor");
    this.view = $("editor-view");
    this.stage = $("editor-stage");
    this.cursor = this.stage.querySelector(".brush-cursor");
    this.mode = "erase";
    this.zoom = 1;
    this.entry = null;
    this.stroke = null;
    this.bind();
  }

  async open(entry) {
    if (this.entry) return;  // already open (or opening)
    this.entry = entry;
    const { canvas, base } = entry.cutout;
    const size = [canvas.width, canvas.height];
    const decoded = await this.hooks.decode(entry.file);
    // The browser may not decode every format the server does (HEIC): restore to the model's
    // cutout then.
    const original = decoded && decoded.width === size[0] ? decoded : base;
    entry.touched ??= canvasOf(...size).getContext("2d");
    this.target = {
      cutout: canvas.getContext("2d"),
      touched: entry.touched,
      scratch: canvasOf(...size).getContext("2d"),
      original,
    };
    canvas.classList.add("editing");
    this.stage.prepend(canvas);
    this.hooks.background(this.stage);
    this.dialog.showModal();
    this.fit();
    this.updateButtons();
    this.showUnsure(entry);
  }

  /** Lays the uncertainty map over the cutout (stretched to it, as the model saw the photo);
   * the editor works without it if it cannot be fetched. */
  async showUnsure(entry) {
    let map;
    try {
      map = await this.hooks.unsure(entry);
    } catch {
      return;
    }
    if (this.entry !== entry || !map) return;  // closed meanwhile
    // Stripes are drawn at most 1600 px wide: the layer is stretched over the photo anyway.
    const { width, height } = entry.cutout.canvas;
    const scale = Math.min(1, 1600 / Math.max(width, height));
    this.unsure = unsureLayer(map, Math.round(width * scale), Math.round(height * scale));
    this.unsure.hidden = !$("show-unsure").checked;
    entry.cutout.canvas.after(this.unsure);
  }

  close() {
    if (!this.entry) return;
    const { canvas, base } = this.entry.cutout;
    if (this.target.original !== base) this.target.original.close();  // decoded per session
    canvas.classList.remove("editing");
    canvas.remove();
    this.unsure?.remove();
    this.entry = this.target = this.unsure = null;
    if (this.dialog.open) this.dialog.close();
  }

  replay() {
    const { cutout, touched } = this.target;
    const { base } = this.entry.cutout;
    cutout.clearRect(0, 0, base.width, base.height);
    cutout.drawImage(base, 0, 0);
    touched.clearRect(0, 0, base.width, base.height);
    for (const stroke of this.entry.strokes) paintStroke(this.target, stroke);
    this.hooks.changed(this.entry);
    this.updateButtons();
  }

  undo() {
    if (!this.entry?.strokes.length) return;
    this.entry.redo.push(this.entry.strokes.pop());
    this.replay();
  }

  redo() {
    if (!this.entry?.redo.length) return;
    this.entry.strokes.push(this.entry.redo.pop());
    this.replay();
  }

  setZoom(zoom, centre) {
    const view = this.view;
    const anchor = centre || [view.clientWidth / 2, view.clientHeight / 2];
    const before = this.zoom;
    const x = (view.scrollLeft + anchor[0]) / before, y = (view.scrollTop + anchor[1]) / before;
    this.zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
    const { width, height } = this.entry.cutout.canvas;
    this.stage.style.width = `${width * this.zoom}px`;
    this.stage.style.height = `${height * this.zoom}px`;
    view.scrollLeft = x * this.zoom - anchor[0];
    view.scrollTop = y * this.zoom - anchor[1];
    $("zoom-level").value = `${Math.round(this.zoom * 100)}%`;
    this.sizeCursor();
  }

  fit() {
    const { width, height } = this.entry.cutout.canvas;
    this.setZoom(Math.min(this.view.clientWidth / width, this.view.clientHeight / height));
  }

  brushWidth() {
    return Number($("brush-size").value) / this.zoom;  // the slider is in screen pixels
  }

  sizeCursor() {
    const size = Number($("brush-size").value);
    Object.assign(this.cursor.style, { width: `${size}px`, height: `${size}px` });
  }

  imagePoint(event) {
    const rect = this.entry.cutout.canvas.getBoundingClientRect();
    const { width, height } = this.entry.cutout.canvas;
    return [(event.clientX - rect.left) * width / rect.width,
      (event.clientY - rect.top) * height / rect.height];
  }

  setMode(mode) {
    this.mode = mode;
    $("tool-erase").setAttribute("aria-pressed", String(mode === "erase"));
    $("tool-restore").setAttribute("aria-pressed", String(mode === "restore"));
  }

  updateButtons() {
    $("undo").disabled = !this.entry?.strokes.length;
    $("redo").disabled = !this.entry?.redo.length;
  }

  bind() {
    const stage = this.stage;
    stage.addEventListener("pointerdown", (e) => {
      if (!this.entry || e.button !== 0) return;
      e.preventDefault();
      stage.setPointerCapture(e.pointerId);
      const point = this.imagePoint(e);
      this.stroke = { mode: this.mode, width: this.brushWidth(), points: [point] };
      paintSegment(this.target, this.stroke, point, point);
    });
    stage.addEventListener("pointermove", (e) => {
      const rect = stage.getBoundingClientRect();
      this.cursor.hidden = false;
      this.cursor.style.left = `${e.clientX - rect.left}px`;
      this.cursor.style.top = `${e.clientY - rect.top}px`;
      if (!this.stroke) return;
      const points = this.stroke.points;
      const point = this.imagePoint(e);
      paintSegment(this.target, this.stroke, points[points.length - 1], point);
      points.push(point);
    });
    const end = () => {
      if (!this.stroke) return;
      this.entry.strokes.push(this.stroke);
      this.entry.redo = [];
      this.stroke = null;
      this.hooks.changed(this.entry);
      this.updateButtons();
    };
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
    stage.addEventListener("pointerleave", () => { this.cursor.hidden = true; });
    this.view.addEventListener("wheel", (e) => {
      if (!e.ctrlKey || !this.entry) return;
      e.preventDefault();
      const rect = this.view.getBoundingClientRect();
      const factor = e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP;
      this.setZoom(this.zoom * factor, [e.clientX - rect.left, e.clientY - rect.top]);
    }, { passive: false });
    $("tool-erase").addEventListener("click", () => this.setMode("erase"));
    $("tool-restore").addEventListener("click", () => this.setMode("restore"));
    $("brush-size").addEventListener("input", () => this.sizeCursor());
    $("undo").addEventListener("click", () => this.undo());
    $("redo").addEventListener("click", () => this.redo());
    $("zoom-in").addEventListener("click", () => this.setZoom(this.zoom * ZOOM_STEP));
    $("zoom-out").addEventListener("click", () => this.setZoom(this.zoom / ZOOM_STEP));
    $("zoom-fit").addEventListener("click", () => this.fit());
    $("editor-done").addEventListener("click", () => this.close());
    $("show-unsure").addEventListener("change", (e) => {
      if (this.unsure) this.unsure.hidden = !e.target.checked;
    });
    this.dialog.addEventListener("close", () => this.close());
    this.dialog.addEventListener("keydown", (e) => this.onKey(e));
  }

  onKey(e) {
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && key === "z") {
      e.preventDefault();
      if (e.shiftKey) this.redo(); else this.undo();
    } else if ((e.ctrlKey || e.metaKey) && key === "y") {
      e.preventDefault();
      this.redo();
    } else if (key === "[" || key === "]") {
      const slider = $("brush-size");
      slider.value = Number(slider.value) * (key === "]" ? ZOOM_STEP : 1 / ZOOM_STEP);
      this.sizeCursor();
    } else if (key === "+" || key === "=") {
      this.setZoom(this.zoom * ZOOM_STEP);
    } else if (key === "-") {
      this.setZoom(this.zoom / ZOOM_STEP);
    }
  }
}
