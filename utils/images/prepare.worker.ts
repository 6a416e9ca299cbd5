import { prepareImage, PrepareFailure, type PreparedImage } from './prepare';

/**
 * Prepares one image off the page's main thread: decoding, scaling and encoding a large photo
 * would otherwise freeze the popup. Answers once, then the page ends the worker.
 */

export interface PrepareRequest {
  file: Blob;
  size?: string;
}

export type PrepareAnswer = { ok: true; image: PreparedImage } | { ok: false; code: PrepareFailure['code']; limit?: number };

self.onmessage = async (e: MessageEvent<PrepareRequest>) => {
  let answer: PrepareAnswer;
  try {
    answer = { ok: true, image: await prepareImage(e.data.file, e.data.size) };
  } catch (err) {
    answer = err instanceof PrepareFailure ? { ok: false, code: err.code, limit: err.limit } : { ok: false, code: 'undecodable' };
  }
  self.postMessage(answer);
};
