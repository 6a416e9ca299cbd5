/*
 * Serves the real relays' answers (tests/fixtures/relays) as scenarios named `relay:<family>/<name>`:
 * their status, headers and writes in order, `{{BASE}}` filled with this relay's URL, at the
 * relay's own pacing compressed to fit FIXTURE_BUDGET_MS (times `slow`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RELAY_FIXTURES, authFixture, fixtureId, materialize, relayFixture, type RelayFixture } from '../fixtures/relays/index';

export type FixtureScenarioName = `relay:${RelayFixture['family']}/${string}`;

const PREFIX = 'relay:';

export const FIXTURE_SCENARIO_NAMES: readonly FixtureScenarioName[] = RELAY_FIXTURES.map(
  (f) => `${PREFIX}${fixtureId(f)}` as FixtureScenarioName,
);

/** Real answers take minutes; by default a whole one plays in about this long. */
export const FIXTURE_BUDGET_MS = 2_400;

export function fixtureOfScenario(name: string): RelayFixture | undefined {
  return (FIXTURE_SCENARIO_NAMES as readonly string[]).includes(name) ? relayFixture(name.slice(PREFIX.length)) : undefined;
}

/** The writes with their delays scaled: the relay's rhythm kept, its length fitted to the budget. */
export function fixturePlan(fixture: RelayFixture, slow = 1): { delayMs: number; text: string }[] {
  const total = fixture.chunks.reduce((sum, c) => sum + c.delayMs, 0);
  const scale = (total > FIXTURE_BUDGET_MS ? FIXTURE_BUDGET_MS / total : 1) * slow;
  return fixture.chunks.map((c) => ({ delayMs: Math.round(c.delayMs * scale), text: c.text }));
}

/** How the family turns away this request's key: sora2api's HTTPBearer has its own answer for none. */
export function authFixtureFor(family: RelayFixture['family'], req: IncomingMessage): RelayFixture {
  const bearer = /^Bearer (\S+)/.exec(req.headers.authorization ?? '');
  return family === 'sora2api' && !bearer ? relayFixture('sora2api/auth-missing') : authFixture(family);
}

export interface FixtureHost {
  url: string;
  streamOpened(): void;
  streamClosed(): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `dropAfter`: destroy the socket after that many writes, as a dropped connection does. */
export async function serveFixture(
  host: FixtureHost,
  res: ServerResponse,
  fixture: RelayFixture,
  slow = 1,
  dropAfter?: number,
): Promise<void> {
  const { status, headers, chunks } = materialize(fixture, host.url);
  if (chunks.length === 1 && status !== 200) {
    // A whole error body, as frameworks send it: with its length.
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(chunks[0]!.text) }).end(chunks[0]!.text);
    return;
  }
  // Set false on 'close': `as boolean` keeps TypeScript from taking it for true after each await.
  let open = true as boolean;
  host.streamOpened();
  res.on('close', () => {
    if (!open) return;
    open = false;
    host.streamClosed();
  });
  res.writeHead(status, headers);
  res.flushHeaders();
  let written = 0;
  for (const step of fixturePlan({ ...fixture, chunks }, slow)) {
    if (step.delayMs > 0) await sleep(step.delayMs);
    if (!open) return;
    res.write(step.text);
    if (++written === dropAfter) {
      // Let the write reach the client first, as a connection that breaks after a good packet.
      await sleep(50);
      res.destroy();
      return;
    }
  }
  res.end();
}
