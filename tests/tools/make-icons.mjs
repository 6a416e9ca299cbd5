// Renders the toolbar/store icons (a play triangle on a rounded indigo square) straight to PNG, so
// the build needs no image tooling. Run: node tests/tools/make-icons.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, sum]);
};

function icon(size) {
  const ss = 4; // supersampling for smooth edges
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const r = size * 0.22;
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      let bg = 0, fg = 0;
      for (let sy = 0; sy < ss; sy++) for (let sx = 0; sx < ss; sx++) {
        const px = x + (sx + 0.5) / ss, py = y + (sy + 0.5) / ss;
        const dx = Math.max(r - px, px - (size - r), 0), dy = Math.max(r - py, py - (size - r), 0);
        if (dx * dx + dy * dy <= r * r) bg++;
        // play triangle
        const u = px / size, v = py / size;
        if (u > 0.36 && u < 0.74 && Math.abs(v - 0.5) < (0.74 - u) * 0.62) fg++;
      }
      const a = bg / (ss * ss), f = fg / (ss * ss);
      const t = y / size;
      const base = [Math.round(99 - 30 * t), Math.round(102 - 40 * t), Math.round(241 - 20 * t)];
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = Math.round(base[0] * (1 - f) + 255 * f);
      raw[o + 1] = Math.round(base[1] * (1 - f) + 255 * f);
      raw[o + 2] = Math.round(base[2] * (1 - f) + 255 * f);
      raw[o + 3] = Math.round(255 * a);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

mkdirSync('public/icon', { recursive: true });
for (const s of [16, 32, 48, 96, 128]) writeFileSync(`public/icon/${s}.png`, icon(s));
console.log('icons written to public/icon/');
