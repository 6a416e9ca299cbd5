// Reference images from the page to the relay and back: stored with their turn in the media store
// (fake-indexeddb), sent by both protocols to the mock relay over real HTTP, and sent again
// byte for byte by every later turn.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { chatProtocol } from '@/utils/chat/chat-protocol';
import { parseTaskReport } from '@/utils/chat/report-parser';
import { streamChat } from '@/utils/chat/stream-client';
import { imageDataUrl, ImageProblem } from '@/utils/images/reference-image';
import { imageCopiesOf, restoreImageCopy, turnImages, type TurnImages } from '@/utils/images/turn-images';
import { jobsProtocol } from '@/utils/jobs/jobs-protocol';
import { imageFieldOf } from '@/utils/jobs/probe';
import { copyKey, type MediaStore } from '@/utils/media';
import { JobRunner } from '@/utils/runner/runner';
import { DEFAULT_SETTINGS, type Settings } from '@/utils/settings/settings';
import type { Thread } from '@/utils/threads/model';
import { readThreads, ThreadWriter } from '@/utils/threads/store';
import { IMAGES_REJECTED, startRelay, type Relay } from '../relay/index';
import { newStore } from './media-helpers';

const JPG = new Uint8Array(readFileSync(new URL('../fixtures/media/preview.jpg', import.meta.url)));
const PNG = new Uint8Array(readFileSync(new URL('../fixtures/media/preview.png', import.meta.url)));
const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const JPG_URL = imageDataUrl(JPG, 'image/jpeg');
const PNG_URL = imageDataUrl(PNG, 'image/png');

let media: MediaStore;
let images: TurnImages;
beforeEach(() => {
  fakeBrowser.reset();
  media = newStore().store;
  images = turnImages(media);
});

const storedBytes = async (key: string) => {
  const blob = await media.readBlob(key);
  return blob && new Uint8Array(await blob.arrayBuffer());
};

describe('a turn’s images in the media store', () => {
  it('keeps the bytes under the turn (refs on the turn) and gives back the same data URLs and files', async () => {
    const refs = await images.keep('thr_1', 'turn_1', [JPG_URL, PNG_URL]);
    expect(refs).toEqual([
      { mime: 'image/jpeg', bytes: JPG.length, sha256: hex(JPG) },
      { mime: 'image/png', bytes: PNG.length, sha256: hex(PNG) },
    ]);
    expect(await storedBytes(copyKey('turn_1', 'image', 0))).toEqual(JPG);
    const record = await media.getRecord(copyKey('turn_1', 'image', 1));
    expect(record).toMatchObject({ kind: 'image', threadId: 'thr_1', turnId: 'turn_1', mime: 'image/png', complete: true });
    const turn = { id: 'turn_1', images: refs } as const;
    expect(await images.dataUrls(turn as never)).toEqual([JPG_URL, PNG_URL]);
    const files = await images.files(turn as never);
    expect(files.map((f) => [f.name, f.blob.type, f.blob.size])).toEqual([
      ['reference-1.jpg', 'image/jpeg', JPG.length],
      ['reference-2.png', 'image/png', PNG.length],
    ]);
  });

  it('stores none of a set with one bad image, or more than two', async () => {
    await expect(images.keep('thr_1', 'turn_1', [JPG_URL, 'data:image/png;base64,aGVsbG8='])).rejects.toThrow(ImageProblem);
    await expect(images.keep('thr_1', 'turn_2', [JPG_URL, JPG_URL, JPG_URL])).rejects.toThrow('At most 2 reference images per video.');
    expect(await media.listAll()).toEqual([]);
  });

  it('refuses to send bytes that are not the ones the turn was sent with (changed or gone)', async () => {
    const refs = await images.keep('thr_1', 'turn_1', [JPG_URL]);
    const turn = { id: 'turn_1', images: refs } as never;
    await media.deleteCopies([copyKey('turn_1', 'image', 0)]);
    await media.saveBlob(copyKey('turn_1', 'image', 0), { turnId: 'turn_1', threadId: 'thr_1', kind: 'image' }, new Blob([PNG]));
    await expect(images.dataUrls(turn)).rejects.toThrow(/no longer stored in this browser/);
    await media.deleteAll();
    await expect(images.files(turn)).rejects.toThrow(ImageProblem);
  });

  it('copies a turn’s images to another turn (a branch keeps them whatever becomes of the source)', async () => {
    const refs = await images.keep('thr_1', 'turn_1', [JPG_URL]);
    const copied = await images.copy({ id: 'turn_1', images: refs } as never, 'thr_2', 'turn_9');
    expect(copied).toEqual(refs);
    expect((await media.getRecord(copyKey('turn_9', 'image', 0)))?.threadId).toBe('thr_2');
    expect(await storedBytes(copyKey('turn_9', 'image', 0))).toEqual(JPG);
  });

  it('is never evicted by the cap on local copies: it is part of what the turn sent', async () => {
    await images.keep('thr_1', 'turn_1', [JPG_URL]);
    await media.saveBlob(
      copyKey('turn_1', 'video'),
      { turnId: 'turn_1', threadId: 'thr_1', kind: 'video' },
      new Blob([new Uint8Array(5000)]),
    );
    const removed = await media.evictToFit(0);
    expect(removed.map((r) => r.kind)).toEqual(['video']);
    expect(await storedBytes(copyKey('turn_1', 'image', 0))).toEqual(JPG);
  });

  it('lists a thread’s image copies for an export with files, and puts back only the right bytes', async () => {
    const refs = await images.keep('thr_1', 'turn_1', [JPG_URL, PNG_URL]);
    const thread = { id: 'thr_1', turns: [{ id: 'turn_0' }, { id: 'turn_1', images: refs }] } as unknown as Thread;
    const list = imageCopiesOf(thread);
    expect(list.map((c) => [c.key, c.fileName, c.sha256])).toEqual([
      ['turn_1:image:0', 'turn_1-1.jpg', hex(JPG)],
      ['turn_1:image:1', 'turn_1-2.png', hex(PNG)],
    ]);
    const other = newStore().store;
    expect(await restoreImageCopy(other, 'thr_1', list[0]!, new Blob([PNG]))).toBe(false);
    expect(await other.listAll()).toEqual([]);
    expect(await restoreImageCopy(other, 'thr_1', list[0]!, new Blob([JPG]))).toBe(true);
    expect(await turnImages(other).dataUrls({ id: 'turn_1', images: [refs[0]!] } as never)).toEqual([JPG_URL]);
  });
});

describe('sending reference images to the mock relay', () => {
  let relay: Relay;
  afterEach(async () => relay.close());

  async function setup(settings: Partial<Settings>) {
    const writer = new ThreadWriter();
    await writer.load();
    const runner = new JobRunner({
      writer,
      settings: () => Promise.resolve({ ...DEFAULT_SETTINGS, baseUrl: relay.url, apiKey: relay.apiKey, ...settings }),
      protocols: {
        chat: chatProtocol({ stream: streamChat, parse: parseTaskReport, images: (t) => images.dataUrls(t) }),
        jobs: jobsProtocol({
          images: (t) => images.files(t),
          imageField: (r) => imageFieldOf(r.videosFlavour || undefined),
          poll: { minDelayMs: 5, maxDelayMs: 20 },
        }),
      },
      images,
    });
    const stored = async (id: string) => (await readThreads([id])).value[0]!;
    return { runner, stored };
  }

  it('chat: the image goes as a content part, every later turn sends that user message again byte for byte', async () => {
    relay = await startRelay({ scenario: { name: 'compact', delayMs: 0, progressDelayMs: 0 } });
    const { runner, stored } = await setup({ protocol: 'chat' });
    const thread = await runner.start('the cat jumps', 'sora-2', 'popup', { images: [JPG_URL] });
    await runner.idle();
    await runner.modify(thread.id, 'now it rains');
    await runner.idle();
    await runner.modify(thread.id, 'make it night');
    await runner.idle();
    expect((await stored(thread.id)).turns.map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);

    const [first, second, third] = relay.chatRequests();
    expect(first!.chat![0]).toMatchObject({ role: 'user', text: 'the cat jumps', parts: true });
    expect(first!.chat![0]!.images).toEqual([
      {
        kind: 'data',
        mime: 'image/jpeg',
        size: JPG.length,
        sha256: hex(JPG),
        image: { format: 'jpeg', width: 160, height: 90 },
        urlLength: JPG_URL.length,
      },
    ]);
    const sent = (r: typeof first) => (r!.body as { messages: unknown[] }).messages;
    for (const later of [second, third]) expect(JSON.stringify(sent(later)[0])).toBe(JSON.stringify(sent(first)[0]));
    // Turns without images stay plain strings.
    expect(sent(third).map((m) => typeof (m as { content: unknown }).content)).toEqual(['object', 'string', 'string', 'string', 'string']);
  });

  it('chat: a relay whose model takes no images refuses it in its words; a history whose image is gone sends nothing', async () => {
    relay = await startRelay({ scenario: { name: 'compact', delayMs: 0, progressDelayMs: 0 } });
    const { runner, stored } = await setup({ protocol: 'chat' });
    relay.enqueue({ name: 'compact', rejectImages: true });
    const refused = await runner.start('a dog', 'sora-2', 'popup', { images: [PNG_URL] });
    await runner.idle();
    const turn = (await stored(refused.id)).turns[0]!;
    expect(turn.status).toBe('failed');
    expect(turn.error).toMatchObject({ status: 400, serverMessage: IMAGES_REJECTED });

    const thread = await runner.start('a bird', 'sora-2', 'popup', { images: [JPG_URL] });
    await runner.idle();
    const before = relay.chatRequests().length;
    await media.deleteAll();
    const next = await runner.modify(thread.id, 'it flies');
    await runner.idle();
    const failed = (await stored(thread.id)).turns.find((t) => t.id === next.id)!;
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/no longer stored in this browser.*Nothing was sent/);
    expect(relay.chatRequests()).toHaveLength(before);
  });

  it.each([
    ['new-api', 'sora-2', 'input_reference'],
    ['grok2api', 'grok-imagine-video', 'input_reference[]'],
  ] as const)(
    'video jobs (%s, %s): the image is a file part named %s; a new video from an instruction carries it again',
    async (flavour, model, field) => {
      relay = await startRelay({ videos: flavour });
      relay.setJobScenario({ pace: 'polls', slow: 0 });
      const { runner, stored } = await setup({ protocol: 'jobs', videosFlavour: flavour });
      const thread = await runner.start('a lighthouse', model, 'popup', { images: [JPG_URL] });
      await runner.idle();
      expect((await stored(thread.id)).turns[0]!.status).toBe('completed');
      const first = relay.videoJobs[0]!;
      expect(first.form?.files.map((f) => [f.name, f.filename, f.contentType, f.sha256])).toEqual([
        [field, 'reference-1.jpg', 'image/jpeg', hex(JPG)],
      ]);
      expect(first.references.map((f) => f.sha256)).toEqual([hex(JPG)]);

      // A modification the relay cannot remix (grok2api) is retried as a new video: from the same image.
      await runner.modify(thread.id, 'at night', { fresh: flavour === 'grok2api' });
      await runner.idle();
      const second = relay.videoJobs[1]!;
      if (flavour === 'new-api') {
        expect(second.remixOf).toBe(first.id);
        expect(second.form).toBeUndefined();
      } else {
        expect(second.remixOf).toBeUndefined();
        expect(second.references.map((f) => [f.name, f.sha256])).toEqual([[field, hex(JPG)]]);
      }

      // New images with an instruction: a new video from them (a remix cannot carry images).
      await runner.modify(thread.id, 'in a storm', { images: [PNG_URL] });
      await runner.idle();
      const third = relay.videoJobs[2]!;
      expect(third.remixOf).toBeUndefined();
      expect(third.references.map((f) => [f.name, f.sha256])).toEqual([[field, hex(PNG)]]);
      expect((await stored(thread.id)).turns.map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);
    },
  );

  it('video jobs: a relay that refuses images says so in its words', async () => {
    relay = await startRelay({ videos: 'grok2api' });
    relay.setJobScenario({ rejectImages: 'This model does not take images' });
    const { runner, stored } = await setup({ protocol: 'jobs', videosFlavour: 'grok2api' });
    const thread = await runner.start('a lighthouse', 'grok-imagine-video', 'popup', { images: [JPG_URL] });
    await runner.idle();
    expect((await stored(thread.id)).turns[0]).toMatchObject({ status: 'failed', error: { status: 400 } });
    expect((await stored(thread.id)).turns[0]!.error?.serverMessage).toContain('This model does not take images');
  });

  it('a retry and a branch keep the images (copied to the new turns)', async () => {
    relay = await startRelay({ scenario: { name: 'compact', delayMs: 0, progressDelayMs: 0 } });
    const { runner, stored } = await setup({ protocol: 'chat' });
    relay.enqueue({ name: 'http-error', status: 500 });
    const thread = await runner.start('a fox', 'sora-2', 'popup', { images: [JPG_URL] });
    await runner.idle();
    const { turnId } = await runner.retry(thread.id, (await stored(thread.id)).turns[0]!.id);
    await runner.idle();
    const retried = (await stored(thread.id)).turns.find((t) => t.id === turnId)!;
    expect(retried).toMatchObject({ status: 'completed', images: [{ sha256: hex(JPG) }] });
    const branch = await runner.branch(thread.id, turnId, 'the fox sleeps');
    await runner.idle();
    const copied = (await stored(branch.id)).turns[0]!;
    expect(copied.id).not.toBe(turnId);
    expect(await storedBytes(copyKey(copied.id, 'image', 0))).toEqual(JPG);
    const [, okFirst, okBranch] = relay.chatRequests();
    const sent = (r: typeof okFirst) => (r!.body as { messages: unknown[] }).messages;
    expect(JSON.stringify(sent(okBranch)[0])).toBe(JSON.stringify(sent(okFirst)[0]));
  });
});
