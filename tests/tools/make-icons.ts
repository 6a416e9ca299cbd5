// Renders every icon size from the one SVG source (tests/tools/icon.svg) with the same Chromium the
// e2e suite uses, so the artwork lives in one editable file. Run: npx tsx tests/tools/make-icons.ts
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { chromium } from '@playwright/test';

const svg = readFileSync('tests/tools/icon.svg', 'utf8');
const sizes = [16, 32, 48, 96, 128];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
mkdirSync('public/icon', { recursive: true });
for (const size of sizes) {
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(
    `<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`,
  );
  writeFileSync(`public/icon/${size}.png`, await page.screenshot({ omitBackground: true }));
}
await browser.close();
console.log(`icons ${sizes.join(', ')} written to public/icon/`);
