// (1) Gzipped bytes each page of the built extension loads to open: the HTML's scripts and module
// preloads, followed through their static imports (same walk as /work/shared/hooks/pagesize.mjs).
// What it imports on demand (import() of a literal path: the popup's recent list, Options' import
// and export) is measured apart, so a page cannot hide code it needs to open behind import().
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface PageSize {
  page: string;
  /** Gzipped (level 9) JS the page loads: the budgeted figure. */
  jsBytes: number;
  /** Gzipped CSS it loads (the shared hook adds this to its figure). */
  cssBytes: number;
  /** Every file with its gzipped size, largest first: where to look when a page is over. */
  files: { file: string; gzip: number; raw: number }[];
  /** Gzipped JS the page imports on demand, beyond `jsBytes` (followed through their own imports). */
  onDemandBytes: number;
}

const gz = (f: string) => gzipSync(readFileSync(f), { level: 9 }).length;

/** The files `entries` load, through static imports and re-exports, or also `import()` of a literal path. */
function closure(dir: string, entries: string[], onDemand: boolean): string[] {
  const seen = new Set<string>();
  const pattern = onDemand ? /(?:import|from)\s*\(?\s*["'`]([^"'`]+\.js)["'`]/g : /(?:import|from)\s*["']([^"']+\.js)["']/g;
  const walk = (f: string): void => {
    if (seen.has(f) || !existsSync(f)) return;
    seen.add(f);
    if (!f.endsWith('.js')) return;
    for (const m of readFileSync(f, 'utf8').matchAll(pattern)) {
      const spec = m[1]!;
      walk(spec.startsWith('/') ? path.join(dir, spec) : path.resolve(path.dirname(f), spec));
    }
  };
  entries.forEach(walk);
  return [...seen];
}

function sizeOf(dir: string, page: string, entries: string[]): PageSize {
  const opening = closure(dir, entries, false);
  const files = opening.map((f) => ({ file: path.relative(dir, f), gzip: gz(f), raw: readFileSync(f).length }));
  files.sort((a, b) => b.gzip - a.gzip);
  const sum = (ext: string) => files.filter((f) => f.file.endsWith(ext)).reduce((s, f) => s + f.gzip, 0);
  const later = closure(dir, entries, true).filter((f) => f.endsWith('.js') && !opening.includes(f));
  return { page, jsBytes: sum('.js'), cssBytes: sum('.css'), files, onDemandBytes: later.reduce((s, f) => s + gz(f), 0) };
}

export function measurePageSizes(extDir: string): PageSize[] {
  const dir = path.resolve(extDir);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    background?: { service_worker?: string; scripts?: string[] };
  };
  const out: PageSize[] = [];
  for (const page of ['popup', 'sidepanel', 'options']) {
    const html = path.join(dir, `${page}.html`);
    if (!existsSync(html)) continue;
    const refs = [...readFileSync(html, 'utf8').matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) =>
      path.join(dir, m[1]!.replace(/^\//, '')),
    );
    out.push(sizeOf(dir, page, refs));
  }
  const bg = manifest.background?.service_worker ?? manifest.background?.scripts?.[0];
  if (bg) out.push(sizeOf(dir, 'background', [path.join(dir, bg)]));
  return out;
}
