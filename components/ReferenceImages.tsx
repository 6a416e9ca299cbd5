import { useState } from 'preact/hooks';
import { t } from '@/utils/i18n';
import { MAX_REFERENCE_IMAGES } from '@/utils/images/limits';
import type { PreparedImage } from '@/utils/images/prepare';
import type { PrepareAnswer, PrepareRequest } from '@/utils/images/prepare.worker';
import { ImageProblem, megabytes } from '@/utils/images/reference-image';
import './reference-images.css';

/** An image the user attached: its file (prepared again for a job's size) and how it will be sent. */
interface Attached {
  key: number;
  file: Blob;
  image: PreparedImage;
}

let nextKey = 0;

/**
 * Prepared in a worker of its own: decoding and encoding a large photo never freezes the page, and
 * the code that does it is not part of the page's scripts.
 */
const prepare = (file: Blob, size?: string) =>
  new Promise<PreparedImage>((resolve, reject) => {
    const worker = new Worker(new URL('../utils/images/prepare.worker.ts', import.meta.url), { type: 'module' });
    const done = (answer: PrepareAnswer | undefined) => {
      worker.terminate();
      if (answer?.ok) resolve(answer.image);
      else reject(new ImageProblem(answer?.code ?? 'undecodable', answer?.limit ? { max: megabytes(answer.limit) } : undefined));
    };
    worker.onmessage = (e: MessageEvent<PrepareAnswer>) => done(e.data);
    worker.onerror = () => done(undefined);
    worker.postMessage({ file, size } satisfies PrepareRequest);
  });

const filesOf = (list: FileList | null | undefined): File[] => (list ? Array.from(list) : []);

export type Attachments = ReturnType<typeof useAttachments>;

/**
 * Reference images for the next video: picked, pasted or dropped, each prepared at once (so a file
 * that is no image is refused when it is added, not when the prompt is sent), at most
 * MAX_REFERENCE_IMAGES. Paste and drop handlers go on the form around the prompt box.
 */
export function useAttachments() {
  const [items, setItems] = useState<Attached[]>([]);
  const [problem, setProblem] = useState('');
  const [preparing, setPreparing] = useState(0);

  const add = async (files: Blob[]) => {
    setProblem('');
    const room = MAX_REFERENCE_IMAGES - items.length - preparing;
    if (files.length > room) setProblem(t('image_tooMany', { max: MAX_REFERENCE_IMAGES }));
    const taken = files.slice(0, Math.max(0, room));
    setPreparing((n) => n + taken.length);
    await Promise.all(
      taken.map(async (file) => {
        try {
          const image = await prepare(file);
          setItems((list) => [...list, { key: nextKey++, file, image }]);
        } catch (err) {
          setProblem(err instanceof Error ? err.message : String(err));
        } finally {
          setPreparing((n) => n - 1);
        }
      }),
    );
  };

  const withFiles = (e: { preventDefault(): void }, files: File[]) => {
    if (files.length === 0) return;
    e.preventDefault();
    void add(files);
  };

  return {
    items,
    problem,
    preparing,
    add,
    remove: (i: number) => {
      setItems((list) => list.filter((_, j) => j !== i));
      setProblem('');
    },
    clear: () => {
      setItems([]);
      setProblem('');
    },
    /** As they will be sent: fitted to a video job's `size` when there is one. */
    dataUrls: (size?: string): Promise<string[]> =>
      Promise.all(items.map(async (it) => (size ? (await prepare(it.file, size)).dataUrl : it.image.dataUrl))),
    /** For the form around the prompt: an image pasted or dropped anywhere in it is attached. */
    formHandlers: {
      onPaste: (e: ClipboardEvent) => withFiles(e, filesOf(e.clipboardData?.files)),
      onDrop: (e: DragEvent) => withFiles(e, filesOf(e.dataTransfer?.files)),
      onDragOver: (e: DragEvent) => {
        if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
      },
    },
  };
}

/** The "Reference image" file input and the attached images, each with its remove button. */
export function ReferenceImages({ id, state }: { id: string; state: Attachments }) {
  const { items, problem, preparing } = state;
  return (
    <div class="refs">
      <div class="refs__pick">
        <label for={id} class="label label--inline">
          {t('referenceImage')}
        </label>
        <input
          id={id}
          type="file"
          accept="image/*"
          multiple
          aria-describedby={`${id}-hint`}
          onChange={(e) => {
            const input = e.currentTarget;
            void state.add(filesOf(input.files));
            input.value = '';
          }}
        />
      </div>
      <p class="muted small" id={`${id}-hint`}>
        {t('referenceImageHint', { max: MAX_REFERENCE_IMAGES })}
      </p>
      {items.length > 0 && (
        <ul class="refs__list">
          {items.map((it, i) => (
            <li key={it.key} class="refs__item">
              <img src={it.image.dataUrl} alt={t('attachedImage', { n: i + 1 })} width={it.image.width} height={it.image.height} />
              <button
                type="button"
                class="refs__remove"
                aria-label={t('removeAttachedImage', { n: i + 1 })}
                onClick={() => state.remove(i)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {preparing > 0 && (
        <p class="muted small" role="status">
          {t('preparingImage')}
        </p>
      )}
      {problem && (
        <p class="error small" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
