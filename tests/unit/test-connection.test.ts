import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { testConnection } from '@/utils/relay/test-connection';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A server on 127.0.0.1 that records every request and answers with `answer`. */
async function serve(answer: (url: string) => { status: number; headers?: Record<string, string>; body?: string }) {
  const seen: { url: string; method: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers });
    const a = answer(req.url ?? '');
    res.writeHead(a.status, a.headers).end(a.body ?? '');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('testConnection', () => {
  it('lists the models with the key sent to the relay itself', async () => {
    const relay = await serve(() => ({
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: [{ id: 'sora-2' }, { id: 'veo-3' }] }),
    }));
    // A relay that answers every path with the model list tells nothing about video jobs.
    expect(await testConnection(relay.url, 'sk-1')).toEqual({ ok: true, models: ['sora-2', 'veo-3'], videos: 'unknown' });
    expect(relay.seen.map((r) => [r.url, r.headers.authorization]).sort()).toEqual([
      ['/v1/models', 'Bearer sk-1'],
      ['/v1/videos/sora-threads-probe', 'Bearer sk-1'],
    ]);
  });

  it('never follows a redirect with the key: the other address gets nothing, and the answer says why', async () => {
    const elsewhere = await serve(() => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"data":[]}' }));
    const relay = await serve(() => ({ status: 302, headers: { Location: `${elsewhere.url}/collect` } }));
    const r = await testConnection(relay.url, 'sk-secret-1');
    expect(r).toEqual({
      ok: false,
      kind: 'not-found',
      message: expect.stringContaining('answered with a redirect to another address; the API key is not sent on') as string,
    });
    expect(elsewhere.seen).toEqual([]);
  });

  it.each([
    ['new-api', 400, '{"code":"task_not_exist","message":"task_not_exist","data":null}'],
    [
      'grok2api',
      400,
      '{"error":{"message":"Video \'sora-threads-probe\' not found","type":"invalid_request_error","code":"invalid_value","param":"video_id"}}',
    ],
    ['xai', 404, '{"error":{"code":"response_not_found","message":"Response 不存在或已过期","param":null,"type":"invalid_request_error"}}'],
    ['absent', 404, '404 page not found'],
  ] as const)('tells which Videos API the relay serves without creating anything: %s', async (flavour, status, body) => {
    const relay = await serve((url) =>
      url === '/v1/models'
        ? { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"data":[]}' }
        : { status, headers: { 'Content-Type': 'application/json' }, body },
    );
    expect(await testConnection(relay.url, 'sk-1')).toMatchObject({ ok: true, videos: flavour });
    expect(relay.seen.map((r) => r.method)).toEqual(['GET', 'GET']);
  });
});
