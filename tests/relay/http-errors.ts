import type { ServerResponse } from 'node:http';

interface ErrorShape {
  message: string;
  type: string;
  code: string | null;
}

// What OpenAI-compatible relays answer for each status, so clients see realistic wording.
const BY_STATUS: Record<number, ErrorShape> = {
  400: {
    message: 'Your request was rejected as a result of our safety system.',
    type: 'invalid_request_error',
    code: 'content_policy_violation',
  },
  401: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  402: { message: 'Insufficient balance, please top up your account.', type: 'insufficient_quota', code: 'insufficient_quota' },
  403: {
    message: 'You exceeded your current quota, please check your plan and billing details.',
    type: 'insufficient_quota',
    code: 'insufficient_quota',
  },
  404: { message: 'The model does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' },
  429: { message: 'Rate limit reached for requests. Please try again later.', type: 'requests', code: 'rate_limit_exceeded' },
};
const SERVER_ERROR: ErrorShape = { message: 'The server had an error while processing your request.', type: 'server_error', code: null };

export function defaultError(status: number): ErrorShape {
  return BY_STATUS[status] ?? SERVER_ERROR;
}

export interface ErrorReply {
  status: number;
  message?: string;
  code?: string | null;
  type?: string;
  body?: 'json' | 'text';
  retryAfter?: number;
}

/** An OpenAI-style `{"error":{…}}` body, or the bare message as text/plain. */
export function sendError(res: ServerResponse, reply: ErrorReply): void {
  const base = defaultError(reply.status);
  const error = {
    message: reply.message ?? base.message,
    type: reply.type ?? base.type,
    code: reply.code === undefined ? base.code : reply.code,
  };
  const headers: Record<string, string> = {};
  if (reply.retryAfter !== undefined) headers['Retry-After'] = String(reply.retryAfter);
  if (reply.body === 'text') {
    res.writeHead(reply.status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end(error.message);
  } else {
    res.writeHead(reply.status, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify({ error }));
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
}
