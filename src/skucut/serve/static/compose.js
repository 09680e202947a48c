// Client-side compositing: backgrounds under results already fetched, the original photo
// placed where the server placed the product, and brush edits carried onto a placed layer.
"use strict";

// Alpha above this counts as product when matching placements. A shadow under a transparent
// layer stays below it (its opacity is at most 0.35 in the presets), so it never shifts the box.
const PRODUCT_ALPHA = 127;

export function canvasOf(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/** (x0, y0, x1, y1) of the product in an image or canvas, or null when there is none. */
export function productBox(source) {
  const { width, height } = source;
  const ctx = canvasOf(width, height).getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0);
  const data = ctx.getImageData(0, 0, width, height).data;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width * 4;
    for (let x = 0; x < width; x++) {
      if (data[row + x * 4 + 3] > PRODUCT_ALPHA) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : [x0, y0, x1 + 1, y1 + 1];
}

/** Where the server put the photo's pixels in a placed layer (canvas, trim): the scale and
 * offset that map the cutout's product box onto the layer's. */
export function placement(cutout, layer) {
  const from = productBox(cutout), to = productBox(layer);
  if (!from || !to) {  // nothing found: the server placed the whole frame, centred
    const s = Math.min(layer.width / cutout.width, layer.height / cutout.height);
    return { s, dx: (layer.width - cutout.width * s) / 2, dy: (layer.height - cutout.height * s) / 2 };
  }
  const [fw, fh] = [from[2] - from[0], from[3] - from[1]];
  const s = fw >= fh ? (to[2] - to[0]) / fw : (to[3] - to[1]) / fh;
  return {
    s,
    dx: (to[0] + to[2]) / 2 - s * (from[0] + from[2]) / 2,
    dy: (to[1] + to[3]) / 2 - s * (from[1] + from[3]) / 2,
  };
}

export const IDENTITY = { s: 1, dx: 0, dy: 0 };

/** Draw ``source`` (photo-sized) with a placement, optionally scaled by k for thumbnails. */
export function drawPlaced(ctx, source, size, { s, dx, dy }, k = 1) {
  ctx.drawImage(source, dx * k, dy * k, size.width * s * k, size.height * s * k);
}

/** The background under a result: nothing, a colour, or a photo covering it (centred). */
export function drawBackground(ctx, width, height, background) {
  if (background.mode === "color") {
    ctx.fillStyle = background.color;
    ctx.fillRect(0, 0, width, height);
  } else if (background.mode === "photo" && background.photo) {
    const { photo } = background;
    const scale = Math.max(width / photo.width, height / photo.height);
    const [w, h] = [photo.width * scale, photo.height * scale];
    ctx.drawImage(photo, (width - w) / 2, (height - h) / 2, w, h);
  }
}

/** A placed layer with the brush edits of the photo-sized cutout carried onto it: inside the
 * painted strokes the edited cutout (placed the same way) replaces the server's pixels. */
export function patchedLayer(layer, cutout, touched) {
  const { width, height } = layer.bitmap;
  const out = canvasOf(width, height);
  const ctx = out.getContext("2d");
  ctx.drawImage(layer.bitmap, 0, 0);
  const piece = canvasOf(width, height).getContext("2d");
  drawPlaced(piece, cutout, cutout, layer.transform);
  piece.globalCompositeOperation = "destination-in";
  drawPlaced(piece, touched, cutout, layer.transform);
  ctx.globalCompositeOperation = "destination-out";
  drawPlaced(ctx, touched, cutout, layer.transform);
  ctx.globalCompositeOperation = "source-over";
  ctx.drawImage(piece.canvas, 0, 0);
  return out;
}

/** A CSS colour (name or hex) as #rrggbb, for the colour input. */
export function hexColor(css) {
  const ctx = canvasOf(1, 1).getContext("2d");
  ctx.fillStyle = css;
  return ctx.fillStyle;
}
