import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import config, { noInnerHtml } from '../../wxt.config';

afterEach(() => vi.restoreAllMocks());

describe('noInnerHtml (build)', () => {
  const PREACT = createRequire(import.meta.url).resolve('preact');
  const preact = readFileSync(PREACT, 'utf8');
  const run = (code: string, id = PREACT) => (noInnerHtml().transform as (code: string, id: string) => { code: string } | null)(code, id);

  it("removes Preact's only innerHTML write (dangerouslySetInnerHTML) and nothing else", () => {
    expect(preact).toMatch(/\.innerHTML=/);
    const out = run(preact)!.code;
    expect(out).not.toMatch(/\.innerHTML\s*=(?!=)/);
    expect(out).toContain("throw Error('dangerouslySetInnerHTML is disabled')");
    expect(out.length - preact.length).toBeLessThan(100);
    expect(run('x.innerHTML=y', '/app/components/Other.tsx')).toBeNull();
  });

  it("fails the build when Preact's code no longer has the sink it knows, or keeps another innerHTML write", () => {
    // A reworded sink: the plugin would otherwise do nothing and ship it.
    expect(() => run(preact.replace(/\.innerHTML=([\w$]+)\.__html/, '.innerHTML = $1.__html'))).toThrow(/Preact changed/);
    expect(() => run('export const h = 1;')).toThrow(/sink was not found/);
    expect(() => run(`${preact}\nfunction z(e,t){e.innerHTML=t}`)).toThrow(/still writes innerHTML/);
    expect(() => run(preact, `${PREACT}?v=123`)).not.toThrow();
  });
});

describe('test hooks (build)', () => {
  /** The `define`s the config hands Vite when run as `wxt <command>`. */
  const definesFor = (command: string) => {
    const saved = process.argv;
    process.argv = ['node', '/x/node_modules/wxt/bin/wxt.mjs', command, '-b', 'chrome'];
    try {
      return (config.vite as (env: unknown) => { define: Record<string, string> })({}).define;
    } finally {
      process.argv = saved;
    }
  };

  it('store packages (wxt zip) are built without globalThis.soraThreads; the build the e2e suite loads has it', () => {
    expect(definesFor('zip').__SORA_TEST_HOOKS__).toBe('false');
    expect(definesFor('build').__SORA_TEST_HOOKS__).toBe('true');
  });
});
