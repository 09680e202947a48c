"""A self-contained HTML spin viewer: every frame inlined, drag (or swipe, or arrow keys) to
turn; no script or image is fetched from anywhere."""

from __future__ import annotations

import base64
import json

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>360° view</title>
<style>
  body { margin: 0; font: 14px system-ui, sans-serif; background: #fafafa; color: #333; }
  main { max-width: 90vmin; margin: 2vmin auto; text-align: center; }
  #spin { width: 100%; height: auto; cursor: grab; touch-action: none; user-select: none;
          background: repeating-conic-gradient(#eee 0% 25%, #fff 0% 50%) 50% / 24px 24px; }
  #spin:active { cursor: grabbing; }
  p { margin: .5em; }
</style></head>
<body><main>
<img id="spin" alt="product, frame 1" draggable="false" tabindex="0">
<p>Drag to turn (or use the arrow keys) &middot; <span id="frame"></span>
&middot; <button id="play" type="button">Play</button></p>
</main>
<script>
const frames = __FRAMES__;
const fps = __FPS__;
const img = document.getElementById("spin");
const label = document.getElementById("frame");
const play = document.getElementById("play");
let index = 0, startX = null, startIndex = 0, timer = null;
function show(i) {
  index = ((i % frames.length) + frames.length) % frames.length;
  img.src = frames[index];
  img.alt = "product, frame " + (index + 1);
  label.textContent = "frame " + (index + 1) + " of " + frames.length;
}
function stop() { clearInterval(timer); timer = null; play.textContent = "Play"; }
// One full turn per image width of drag.
img.addEventListener("pointerdown", (e) => {
  stop(); startX = e.clientX; startIndex = index; img.setPointerCapture(e.pointerId);
});
img.addEventListener("pointermove", (e) => {
  if (startX === null) return;
  const step = img.clientWidth / frames.length;
  show(startIndex - Math.round((e.clientX - startX) / step));
});
img.addEventListener("pointerup", () => { startX = null; });
img.addEventListener("pointercancel", () => { startX = null; });
img.addEventListener("keydown", (e) => {
  if (e.key === "ArrowLeft") { stop(); show(index + 1); }
  if (e.key === "ArrowRight") { stop(); show(index - 1); }
});
play.addEventListener("click", () => {
  if (timer) { stop(); return; }
  play.textContent = "Stop";
  timer = setInterval(() => show(index + 1), 1000 / fps);
});
show(0);
</script>
</body></html>
"""


def viewer_html(images: list[tuple[str, bytes]], fps: float = 12.0) -> str:
    """The page for ``images`` ((MIME type, bytes) in turning order)."""
    uris = [f"data:{mime};base64,{base64.b64encode(data).decode()}" for mime, data in images]
    return PAGE.replace("__FRAMES__", json.dumps(uris)).replace("__FPS__", f"{fps:g}")
