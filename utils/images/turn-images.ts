import type { ReferenceImage } from '../jobs/videos-client';
import type { MediaStore } from '../media/index';
import { copyKey } from '../media/keys';
import type { Thread, Turn } from '../threads/model';
import {
  ImageProblem,
  imageDataUrl,
  imageFileName,
  MAX_REFERENCE_IMAGES,
  parseImageDataUrl,
  sha256Hex,
  type ImageMime,
  type TurnImage,
} from './reference-image';

/**
 * A turn's reference images in the media store (IndexedDB), where their bytes live: the turn in
 * storage.local keeps only their refs (type, size, SHA-256). Every read is checked against the
 * ref, so what a follow-up sends again is byte for byte what was sent the first time — or, when
 * the bytes are gone, nothing is sent and the turn says why.
 */
export interface TurnImages {
  /** Checks and stores the images a page sent for a new turn; if one is refused, none stays stored. */
  keep(threadId: string, turnId: string, dataUrls: readonly unknown[]): Promise<TurnImage[]>;
  /** The same bytes for another turn (a branch, a retry), under that turn's keys. */
  copy(from: Turn, threadId: string, toTurnId: string): Promise<TurnImage[] | undefined>;
  /** Removes the images stored for a turn that was never kept. */
  discard(turnId: string, count: number): Promise<void>;
  /** As the chat format sends them: data URLs. */
  dataUrls(turn: Turn): Promise<string[]>;
  /** As the Videos API takes them: files. */
  files(turn: Turn): Promise<ReferenceImage[]>;
}

const keysOf = (turnId: string, count: number) => Array.from({ length: count }, (_, i) => copyKey(turnId, 'image', i));

export function turnImages(media: MediaStore): TurnImages {
  /** The stored bytes of each image, as its ref says they are. */
  const read = async (turn: Turn): Promise<{ image: TurnImage; bytes: Uint8Array<ArrayBuffer> }[]> =>
    Promise.all(
      (turn.images ?? []).map(async (image, index) => {
        const blob = await media.readBlob(copyKey(turn.id, 'image', index)).catch(() => undefined);
        const bytes = blob && new Uint8Array(await blob.arrayBuffer());
        if (bytes?.length !== image.bytes || (await sha256Hex(bytes)) !== image.sha256) throw new ImageProblem('missing');
        return { image, bytes };
      }),
    );

  const store = async (threadId: string, turnId: string, images: { mime: ImageMime; bytes: Uint8Array<ArrayBuffer> }[]) => {
    const refs: TurnImage[] = [];
    try {
      for (const [index, { mime, bytes }] of images.entries()) {
        await media.saveBlob(copyKey(turnId, 'image', index), { turnId, threadId, kind: 'image', mime }, new Blob([bytes], { type: mime }));
        refs.push({ mime, bytes: bytes.length, sha256: await sha256Hex(bytes) });
      }
    } catch (err) {
      await media.deleteCopies(keysOf(turnId, images.length)).catch(() => undefined);
      throw err;
    }
    return refs;
  };

  return {
    async keep(threadId, turnId, dataUrls) {
      if (dataUrls.length > MAX_REFERENCE_IMAGES) throw new ImageProblem('too-many', { max: MAX_REFERENCE_IMAGES });
      // Every image is checked before any is stored.
      return store(threadId, turnId, dataUrls.map(parseImageDataUrl));
    },
    async copy(from, threadId, toTurnId) {
      if (!from.images?.length) return undefined;
      return store(
        threadId,
        toTurnId,
        (await read(from)).map(({ image, bytes }) => ({ mime: image.mime, bytes })),
      );
    },
    async discard(turnId, count) {
      await media.deleteCopies(keysOf(turnId, count)).catch(() => undefined);
    },
    async dataUrls(turn) {
      return (await read(turn)).map(({ image, bytes }) => imageDataUrl(bytes, image.mime));
    },
    async files(turn) {
      return (await read(turn)).map(({ image, bytes }, i) => ({
        blob: new Blob([bytes], { type: image.mime }),
        name: imageFileName(image, i),
      }));
    },
  };
}

/** One reference image of a thread in the media store: what an export with files needs to include it. */
export interface ImageCopyRef {
  /** The media store key (read it with `media.readBlob(key)`). */
  key: string;
  turnId: string;
  index: number;
  mime: ImageMime;
  bytes: number;
  sha256: string;
  /** A name for it inside an archive: `<turn id>-<n>.jpg`. */
  fileName: string;
}

/** Every reference image a thread's turns were sent with (the JSON export carries only their refs). */
export function imageCopiesOf(thread: Thread): ImageCopyRef[] {
  return thread.turns.flatMap((turn) =>
    (turn.images ?? []).map((image, index) => ({
      key: copyKey(turn.id, 'image', index),
      turnId: turn.id,
      index,
      ...image,
      fileName: `${turn.id}-${imageFileName(image, index).slice('reference-'.length)}`,
    })),
  );
}

/**
 * Puts an imported image back under its turn, only if its bytes are the ones the turn's ref names
 * (an archive is outside input). Resolves false, storing nothing, when they are not.
 */
export async function restoreImageCopy(media: MediaStore, threadId: string, ref: ImageCopyRef, blob: Blob): Promise<boolean> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  if (bytes.length !== ref.bytes || (await sha256Hex(bytes)) !== ref.sha256) return false;
  await media.saveBlob(ref.key, { turnId: ref.turnId, threadId, kind: 'image', mime: ref.mime }, new Blob([bytes], { type: ref.mime }));
  return true;
}
