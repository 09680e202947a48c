// A store-only ZIP writer: the page packs the very blobs it shows, no server round trip.
// Images are already compressed, so storing them costs nothing; no ZIP64 (under 4 GB).
"use strict";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function dosDateTime(date) {
  const time = (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1);
  const day = ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  return [time, day];
}

// Little-endian fields after a 4-byte signature; sizes 2 or 4 bytes each.
function record(signature, fields, name) {
  const size = 4 + fields.reduce((sum, [bytes]) => sum + bytes, 0);
  const view = new DataView(new ArrayBuffer(size + name.length));
  view.setUint32(0, signature, true);
  let at = 4;
  for (const [bytes, value] of fields) {
    if (bytes === 2) view.setUint16(at, value, true);
    else view.setUint32(at, value, true);
    at += bytes;
  }
  new Uint8Array(view.buffer).set(name, at);
  return new Uint8Array(view.buffer);
}

const UTF8_NAMES = 0x0800;

/** files: [{name, blob}] -> a ZIP Blob with each file stored as is. */
export async function zipBlob(files) {
  const [time, day] = dosDateTime(new Date());
  const parts = [], directory = [];
  let offset = 0;
  for (const { name, blob } of files) {
    const data = new Uint8Array(await blob.arrayBuffer());
    const encoded = new TextEncoder().encode(name);
    const crc = crc32(data);
    const common = [[2, 20], [2, UTF8_NAMES], [2, 0], [2, time], [2, day], [4, crc],
      [4, data.length], [4, data.length], [2, encoded.length], [2, 0]];
    const local = record(0x04034b50, common, encoded);
    directory.push(record(0x02014b50, [[2, 20], ...common, [2, 0], [2, 0], [2, 0], [4, 0],
      [4, offset]], encoded));
    parts.push(local, data);
    offset += local.length + data.length;
  }
  const size = directory.reduce((sum, entry) => sum + entry.length, 0);
  if (offset + size > 0xffffffff) throw new Error("over 4 GB: download fewer images at once");
  const end = record(0x06054b50, [[2, 0], [2, 0], [2, files.length], [2, files.length],
    [4, size], [4, offset], [2, 0]], new Uint8Array());
  return new Blob([...parts, ...directory, end], { type: "application/zip" });
}
