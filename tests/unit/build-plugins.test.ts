import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { compileFunction } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import config, { noInnerHtml, pruneWebextPolyfill } from '../../wxt.config';

const POLYFILL = createRequire(import.meta.url).resolve('webextension-polyfill/dist/browser-polyfill.js');
const source = readFileSync(POLYFILL, 'utf8');

function transform(keep: string[], code = source, id = POLYFILL): string | null {
  const plugin = pruneWebextPolyfill(keep);
  const out = (plugin.transform as (code: string, id: string) => { code: string } | null)(code, id);
  return out?.code ?? null;
}

/** The parts of the polyfill's `browser` these tests call. */
interface LoadedBrowser {
  storage: { local: { get(key: string): Promise<unknown> } };
  bookmarks: { getTree(): Promise<unknown> };
}

/** Runs the (pruned) polyfill against a fake `chrome`, the way a page loads it, and returns its `browser`. */
function load(code: string, chrome: object): LoadedBrowser {
  const globals = globalThis as { chrome?: unknown; browser?: unknown };
  const saved = { chrome: globals.chrome, browser: globals.browser };
  globals.chrome = chrome;
  delete globals.browser;
  try {
    const module = { exports: {} };
    // The built text as a CommonJS module, in this realm (it reads the `chrome` set above).
    const run = compileFunction(code, ['module', 'exports']) as (module: object, exports: object) => void;
    run(module, module.exports);
    return module.exports as LoadedBrowser;
  } finally {
    Object.assign(globalThis, saved);
  }
}

afterEach(() => vi.restoreAllMocks());

describe('pruneWebextPolyfill (build)', () => {
  it('keeps the API tables of the namespaces the extension can reach, and only those', () => {
    const code = transform(['storage', 'alarms', 'runtime', 'sidePanel'])!;
    const table = JSON.parse(/const apiMetadata = (\{.*?\});/.exec(code)![1]!) as { storage: { local: { get: unknown } } };
    // sidePanel has no table in the polyfill: nothing to keep, nothing invented.
    expect(Object.keys(table).sort()).toEqual(['alarms', 'runtime', 'storage']);
    expect(table.storage.local.get).toEqual({ minArgs: 0, maxArgs: 1 });
    expect(code.length).toBeLessThan(source.length * 0.7);
  });

  it('a kept namespace is still promisified; a pruned one is the browser’s own API, untouched', async () => {
    const nativeTree = vi.fn(() => Promise.resolve(['native']));
    const chrome = {
      runtime: { id: 'ext', lastError: undefined },
      storage: { local: { get: (key: string, callback: (items: object) => void) => callback({ [key]: 1 }) } },
      bookmarks: { getTree: nativeTree },
    };
    const browser = load(transform(['storage', 'runtime'])!, chrome);
    await expect(browser.storage.local.get('k')).resolves.toEqual({ k: 1 });
    await expect(browser.bookmarks.getTree()).resolves.toEqual(['native']);
    // Called as the browser's own function: no callback appended by the polyfill.
    expect(nativeTree).toHaveBeenCalledWith();
  });

  it('leaves every other module alone, and fails the build loudly if the polyfill’s layout changes', () => {
    expect(transform(['storage'], 'const apiMetadata = {};', '/x/other.js')).toBeNull();
    expect(() => transform(['storage'], 'const somethingElse = {};')).toThrow(/API table was not found/);
  });
});

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
