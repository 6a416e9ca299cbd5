// The plumbing shared by the Videos API flavours: which route a request is, and how an answer is written.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobAnswer } from '../fixtures/jobs/index';
import type { RecordedForm } from './multipart';

export type VideoRouteKind = 'create' | 'list' | 'retrieve' | 'content' | 'remix' | 'other';
export interface VideoRoute {
  kind: VideoRouteKind;
  id?: string;
  /** 'other' on a path that exists for other methods: those methods (for a 405's Allow). */
  allow?: string;
}

export interface VideoRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  route: VideoRoute;
  contentType: string;
  /** Parsed JSON, or the text when not JSON, undefined when empty. */
  body: unknown;
  form?: RecordedForm;
  /** Why the form body could not be read. */
  formError?: string;
  /** Set by the handler: the job this request created or addressed. */
  onJob(id: string): void;
}

export const isVideosPath = (path: string): boolean => path === '/v1/videos' || path.startsWith('/v1/videos/');

export function videoRoute(method: string, path: string): VideoRoute {
  if (path === '/v1/videos')
    return method === 'POST' ? { kind: 'create' } : method === 'GET' ? { kind: 'list' } : { kind: 'other', allow: 'POST' };
  const m = /^\/v1\/videos\/([^/]+)(?:\/(content|remix))?$/.exec(path);
  if (!m) return { kind: 'other' };
  const id = decodeURIComponent(m[1]!);
  if (m[2] === 'content') return method === 'GET' ? { kind: 'content', id } : { kind: 'other', id, allow: 'GET' };
  if (m[2] === 'remix') return method === 'POST' ? { kind: 'remix', id } : { kind: 'other', id };
  return method === 'GET' ? { kind: 'retrieve', id } : { kind: 'other', id, allow: 'GET' };
}

/** Writes a fixture answer: its status, Content-Type, headers and exact bytes. */
export function sendAnswer(res: ServerResponse, answer: JobAnswer, headers: Record<string, string> = {}): void {
  res
    .writeHead(answer.status, {
      'Content-Type': answer.contentType,
      ...answer.headers,
      ...headers,
      'Content-Length': String(Buffer.byteLength(answer.raw)),
    })
    .end(answer.raw);
}

export const HEX = '0123456789abcdef';
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const randomFrom = (alphabet: string, n: number): string => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
