import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coverCrop, fitWithin, parseVideoSize, planImage } from '@/utils/images/fit';
import {
  ImageProblem,
  imageDataUrl,
  imageFileName,
  isTurnImage,
  MAX_IMAGE_BYTES,
  parseImageDataUrl,
  sha256Hex,
  sniffImage,
} from '@/utils/images/reference-image';
import { buildMessages, imageTurnOf, newTurn, type Turn } from '@/utils/threads/model';
import { isTurn } from '@/utils/threads/records';
import { parseImport } from '@/utils/threads/backup-file';
import { buildExport } from '@/utils/threads/backup';

const JPG = new Uint8Array(readFileSync(new URL('../fixtures/media/preview.jpg', import.meta.url)));
const PNG = new Uint8Array(readFileSync(new URL('../fixtures/media/preview.png', import.meta.url)));
const WEBP = new Uint8Array(readFileSync(new URL('../fixtures/media/preview.webp', import.meta.url)));
const MP4 = new Uint8Array(readFileSync(new URL('../fixtures/media/sample.mp4', import.meta.url)));
const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('sizing a reference image', () => {
  it('reads a job size as width × height, and nothing else', () => {
    expect(parseVideoSize('1280x720')).toEqual({ width: 1280, height: 720 });
    expect(parseVideoSize('720x1280')).toEqual({ width: 720, height: 1280 });
    for (const bad of [undefined, '', '1280', '1280×720', 'x720', '0x0', '1280x720 ', '99999999x1'])
      expect(parseVideoSize(bad)).toBeUndefined();
  });

  it('fits the longest side within 2048 px, keeping proportions, and never enlarges', () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 2048, height: 1536 });
    expect(fitWithin(3000, 6000)).toEqual({ width: 1024, height: 2048 });
    expect(fitWithin(2048, 100)).toEqual({ width: 2048, height: 100 });
    expect(fitWithin(160, 90)).toEqual({ width: 160, height: 90 });
    expect(fitWithin(100_000, 10)).toEqual({ width: 2048, height: 1 });
  });

  it('crops the centre of the image to the video’s proportions (cover)', () => {
    // 4:3 to 16:9: full width, a centred band of the height.
    expect(coverCrop(4000, 3000, { width: 1280, height: 720 })).toEqual({ sx: 0, sy: 375, sw: 4000, sh: 2250 });
    // 16:9 to 9:16: full height, a centred band of the width.
    expect(coverCrop(1920, 1080, { width: 720, height: 1280 })).toEqual({ sx: 656, sy: 0, sw: 608, sh: 1080 });
    // Already the right proportions: all of it.
    expect(coverCrop(2560, 1440, { width: 1280, height: 720 })).toEqual({ sx: 0, sy: 0, sw: 2560, sh: 1440 });
  });

  it('plans a job-sized image at exactly the job’s size (even from a smaller picture), otherwise within 2048 px', () => {
    expect(planImage(160, 90, '1280x720')).toEqual({
      crop: { sx: 0, sy: 0, sw: 160, sh: 90 },
      out: { width: 1280, height: 720 },
      fixed: true,
    });
    expect(planImage(5000, 5000, '1024x1792').out).toEqual({ width: 1024, height: 1792 });
    expect(planImage(5000, 2500)).toEqual({ crop: { sx: 0, sy: 0, sw: 5000, sh: 2500 }, out: { width: 2048, height: 1024 }, fixed: false });
    // A size that is not a size is the relay's default: no crop.
    expect(planImage(300, 200, 'auto').fixed).toBe(false);
  });
});

describe('image bytes and data URLs', () => {
  it('tells JPEG, PNG and WebP by their bytes, and nothing else', () => {
    expect([JPG, PNG, WEBP].map(sniffImage)).toEqual(['image/jpeg', 'image/png', 'image/webp']);
    expect(sniffImage(MP4)).toBeUndefined();
    expect(sniffImage(new TextEncoder().encode('<html>'))).toBeUndefined();
    expect(sniffImage(new Uint8Array())).toBeUndefined();
  });

  it('builds the same data URL from the same bytes, every time, as standard base64', () => {
    const url = imageDataUrl(JPG, 'image/jpeg');
    expect(url).toBe(`data:image/jpeg;base64,${Buffer.from(JPG).toString('base64')}`);
    expect(imageDataUrl(new Uint8Array(JPG), 'image/jpeg')).toBe(url);
  });

  it('encodes a 4 MB image without overflowing the stack', () => {
    const big = new Uint8Array(MAX_IMAGE_BYTES).map((_, i) => (i * 31) & 255);
    const url = imageDataUrl(big, 'image/webp');
    expect(Buffer.from(url.slice('data:image/webp;base64,'.length), 'base64').equals(Buffer.from(big))).toBe(true);
  });

  it('reads back the exact bytes of a data URL a page sent', () => {
    const { mime, bytes } = parseImageDataUrl(imageDataUrl(PNG, 'image/png'));
    expect(mime).toBe('image/png');
    expect(Buffer.from(bytes).equals(Buffer.from(PNG))).toBe(true);
  });

  it.each([
    ['not a string', 42],
    ['a link', 'https://example.com/cat.jpg'],
    ['text as an image', `data:image/png;base64,${Buffer.from('hello').toString('base64')}`],
    ['a video called an image', `data:image/jpeg;base64,${Buffer.from(MP4).toString('base64')}`],
    ['PNG bytes called JPEG', `data:image/jpeg;base64,${Buffer.from(PNG).toString('base64')}`],
    ['an SVG (scripts, no pixels)', `data:image/svg+xml;base64,${Buffer.from('<svg/>').toString('base64')}`],
    ['broken base64', 'data:image/jpeg;base64,/9j/4AAQ!!!'],
    ['nothing', 'data:image/jpeg;base64,'],
  ])('refuses %s with a clear sentence', (_, url) => {
    expect(() => parseImageDataUrl(url)).toThrow(ImageProblem);
    expect(() => parseImageDataUrl(url)).toThrow('That file is not an image. Attach a JPEG, PNG, WebP or other picture.');
  });

  it('refuses more than 4 MB, saying the limit', () => {
    const big = new Uint8Array(MAX_IMAGE_BYTES + 1);
    big.set(JPG.subarray(0, 3));
    expect(() => parseImageDataUrl(imageDataUrl(big, 'image/jpeg'))).toThrow(
      'The image is too large (more than 4 MB). Use a smaller file.',
    );
  });

  it('hashes bytes as hex SHA-256 and names files by type', async () => {
    expect(await sha256Hex(JPG)).toBe(hex(JPG));
    expect(imageFileName({ mime: 'image/jpeg' }, 0)).toBe('reference-1.jpg');
    expect(imageFileName({ mime: 'image/webp' }, 1)).toBe('reference-2.webp');
  });
});

const ref = (bytes: Uint8Array, mime: 'image/jpeg' | 'image/png' = 'image/jpeg') => ({ mime, bytes: bytes.length, sha256: hex(bytes) });
const done = (prompt: string, content: string, extra: Partial<Turn> = {}): Turn => ({
  ...newTurn(prompt),
  status: 'completed',
  content,
  ...extra,
});

describe('messages with reference images', () => {
  const first = done('the cat jumps', '> sid: s_1\n[视频文件](https://x/1.mp4)', { images: [ref(JPG), ref(PNG, 'image/png')] });
  const urls = new Map([[first.id, [imageDataUrl(JPG, 'image/jpeg'), imageDataUrl(PNG, 'image/png')]]]);

  it('sends a turn with images as content parts: its text, then each image as a data URL', () => {
    const messages = buildMessages([first], 0, urls);
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'the cat jumps' },
          { type: 'image_url', image_url: { url: urls.get(first.id)![0] } },
          { type: 'image_url', image_url: { url: urls.get(first.id)![1] } },
        ],
      },
    ]);
  });

  it('re-sends an earlier user message exactly as it was first sent; turns without images stay plain text', () => {
    const firstSent = JSON.stringify(buildMessages([first], 0, urls)[0]);
    const second = done('now it rains', '> sid: s_2');
    const third = newTurn('make it night');
    const later = buildMessages([first, second, third], 2, urls);
    expect(JSON.stringify(later[0])).toBe(firstSent);
    expect(later.slice(1)).toEqual([
      { role: 'assistant', content: first.content },
      { role: 'user', content: 'now it rains' },
      { role: 'assistant', content: '> sid: s_2' },
      { role: 'user', content: 'make it night' },
    ]);
  });

  it('refuses to build a history whose images were not loaded (it would not be what was sent)', () => {
    expect(() => buildMessages([first, newTurn('more')], 1)).toThrow(/not loaded/);
    expect(() => buildMessages([first], 0, new Map([[first.id, [urls.get(first.id)![0]!]]]))).toThrow(/not loaded/);
  });

  it('a new video job starts from the turn’s own images, else the latest completed turn’s', () => {
    const plain = done('plain', '');
    const failedWithImage: Turn = { ...newTurn('x'), status: 'failed', images: [ref(PNG, 'image/png')] };
    const next = newTurn('again');
    const turns = [first, plain, failedWithImage, next];
    expect(imageTurnOf(turns, 3)).toBe(first);
    const own: Turn = { ...next, images: [ref(PNG, 'image/png')] };
    expect(imageTurnOf([...turns.slice(0, 3), own], 3)).toBe(own);
    expect(imageTurnOf([plain, next], 1)).toBeUndefined();
  });
});

describe('image refs in storage and in export files', () => {
  const turn: Turn = { ...done('p', 'c'), images: [ref(JPG)] };

  it('accepts a stored turn with image refs, refuses damaged ones', () => {
    expect(isTurn(turn)).toBe(true);
    expect(isTurnImage(turn.images![0])).toBe(true);
    for (const images of [
      'x',
      [{ mime: 'image/gif', bytes: 10, sha256: hex(JPG) }],
      [{ mime: 'image/jpeg', bytes: 0, sha256: hex(JPG) }],
      [{ mime: 'image/jpeg', bytes: 10, sha256: 'abc' }],
      [ref(JPG), ref(JPG), ref(JPG)],
    ])
      expect(isTurn({ ...turn, images })).toBe(false);
  });

  it('exports the refs (not the bytes) and imports them back', () => {
    const thread = { id: 'thr_1', title: 'p', model: 'sora-2', createdAt: 1, updatedAt: 2, origin: 'popup' as const, turns: [turn] };
    const file = buildExport([thread]);
    expect(file).not.toContain('base64');
    const parsed = parseImport(file);
    expect(parsed.ok && parsed.threads[0]!.turns[0]!.images).toEqual(turn.images);
    const damaged = file.replace(turn.images![0]!.sha256, 'not-a-hash');
    expect(parseImport(damaged).ok).toBe(false);
  });
});
