import { browser } from 'wxt/browser';
import type { ImportCounts } from './threads/backup';
import type { ConnectionResult } from './relay/test-connection';
import type { Thread, ThreadOrigin } from './threads/model';
import { t } from './i18n';

/**
 * Every request a page can make of the background, in one map: the compiler checks both ends.
 * Pages never write threads; they ask here and watch storage for the result.
 */
export interface Protocol {
  /** `images`: reference images as prepared in the page (data URLs); the background checks them again. */
  generate: {
    req: { prompt: string; model?: string; origin: ThreadOrigin; seconds?: string; size?: string; images?: string[] };
    res: { threadId: string; turnId: string };
  };
  modify: { req: { threadId: string; prompt: string; images?: string[] }; res: { turnId: string } };
  cancel: { req: { threadId: string; turnId: string }; res: null };
  branch: { req: { threadId: string; turnId: string; prompt: string }; res: { threadId: string } };
  /** The new turn, in this thread or (retrying an older version) in a new one. */
  retry: { req: { threadId: string; turnId: string }; res: { threadId: string; turnId: string } };
  /** After the user granted the host permission an interrupted job's task source needed. */
  followAgain: { req: { threadId: string; turnId: string }; res: null };
  deleteThread: { req: { threadId: string }; res: null };
  /** Undo of a delete: the page hands back the record it showed; in-flight turns come back cancelled. */
  restoreThread: { req: { thread: Thread }; res: null };
  renameThread: { req: { threadId: string; title: string }; res: null };
  importThreads: { req: { threads: unknown[] }; res: ImportCounts };
  /** `plainHttpOrigin`: the origin the user agreed (in the form) to send the key to over plain http. */
  testConnection: { req: { baseUrl: string; apiKey: string; plainHttpOrigin?: string }; res: ConnectionResult };
}

export type MessageType = keyof Protocol;
export type Request<K extends MessageType = MessageType> = { type: K } & Protocol[K]['req'];
export type Reply<K extends MessageType> = { ok: true; value: Protocol[K]['res'] } | { ok: false; error: string };

export async function send<K extends MessageType>(type: K, payload: Protocol[K]['req']): Promise<Protocol[K]['res']> {
  // Undefined when no listener answered.
  const reply = await browser.runtime.sendMessage<Request<K>, Reply<K> | undefined>({ type, ...payload });
  if (!reply) throw new Error(t('noBackground'));
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
}

export type Handlers = { [K in MessageType]: (req: Protocol[K]['req']) => Promise<Protocol[K]['res']> };

const TYPES: ReadonlySet<string> = new Set<MessageType>([
  'generate',
  'modify',
  'cancel',
  'retry',
  'followAgain',
  'branch',
  'deleteThread',
  'restoreThread',
  'renameThread',
  'importThreads',
  'testConnection',
]);

export function isRequest(x: unknown): x is Request {
  return typeof x === 'object' && x !== null && TYPES.has((x as { type?: unknown }).type as string);
}

/** Runs the handler for a request and wraps the outcome so errors reach the page as text. */
export async function dispatch(handlers: Handlers, msg: Request): Promise<Reply<MessageType>> {
  try {
    const handler = handlers[msg.type] as (req: unknown) => Promise<unknown>;
    return { ok: true, value: (await handler(msg)) as never };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
