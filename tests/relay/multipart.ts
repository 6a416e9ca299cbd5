/*
 * Reads form bodies (multipart/form-data and x-www-form-urlencoded) the way a server framework
 * does, and keeps what a test needs to check what a client sent: every text field, and for each
 * file part its field name, file name, declared type, size, sha256 and, for images, the real
 * format and dimensions read from the bytes (so "the image was downscaled to fit" is checkable).
 *
 * The parsing itself is the platform's: undici's FormData parser behind Response.formData(),
 * the same code that parses multipart for fetch in Node. A body it cannot read (no boundary,
 * a truncated part) is reported as an error, as every real server refuses it.
 */
import { createHash } from 'node:crypto';

export interface RecordedFile {
  /** The form field name, e.g. 'input_reference' or 'input_reference[]'. */
  name: string;
  filename: string;
  /** The part's Content-Type as sent ('' when none). */
  contentType: string;
  size: number;
  sha256: string;
  /** Read from the bytes, whatever the part claimed; absent when they are no image we know. */
  image?: ImageInfo;
}

export interface RecordedField {
  name: string;
  value: string;
}

export interface RecordedForm {
  /** Text fields by name; a repeated name keeps its first value (as Go's FormValue reads it). */
  fields: Record<string, string>;
  /** Every text field in order, repeats included. */
  entries: RecordedField[];
  /** Every file part in order. */
  files: RecordedFile[];
}

export const isFormType = (contentType: string | undefined): boolean =>
  /^\s*(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(contentType ?? '');

/** Parses a form body; throws with the parser's reason when it is not a readable form. */
export async function readForm(body: Buffer, contentType: string): Promise<RecordedForm> {
  const data = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  const form: RecordedForm = { fields: {}, entries: [], files: [] };
  for (const [name, value] of data) {
    if (typeof value === 'string') {
      form.entries.push({ name, value });
      if (!(name in form.fields)) form.fields[name] = value;
      continue;
    }
    const bytes = Buffer.from(await value.arrayBuffer());
    const image = imageInfo(bytes);
    form.files.push({
      name,
      filename: value.name,
      contentType: value.type,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      ...(image ? { image } : {}),
    });
  }
  return form;
}

export interface ImageInfo {
  format: 'png' | 'jpeg' | 'webp' | 'gif';
  width: number;
  height: number;
}

/** Format and size from an image's header bytes (PNG IHDR, JPEG SOFn, WebP VP8/VP8L/VP8X, GIF). */
export function imageInfo(b: Buffer): ImageInfo | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR') {
    return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 10 && b.toString('latin1', 0, 3) === 'GIF') {
    return { format: 'gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  }
  if (b.length >= 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = b.toString('latin1', 12, 16);
    if (chunk === 'VP8 ') return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
    if (chunk === 'VP8L') {
      const bits = b.readUInt32LE(21);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { format: 'webp', width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
    return undefined;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpegInfo(b);
  return undefined;
}

function jpegInfo(b: Buffer): ImageInfo | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return undefined;
}
