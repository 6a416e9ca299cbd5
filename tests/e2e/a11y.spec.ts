import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { configureRelay } from './helpers';

async function seriousViolations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} → ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('popup, side panel and options have no serious or critical accessibility violations', async ({ openPage, relay }) => {
  const options = await openPage('options');
  await configureRelay(options, relay);
  expect(await seriousViolations(options)).toEqual([]);

  const popup = await openPage('popup');
  await popup.getByRole('textbox', { name: 'Prompt' }).fill('a lighthouse in a storm');
  await popup.getByRole('button', { name: 'Generate' }).click();
  await expect(popup.getByRole('textbox', { name: 'Prompt' })).toHaveValue('');
  expect(await seriousViolations(popup)).toEqual([]);

  relay.enqueue({ name: 'http-error', status: 401, message: 'Invalid API key' });
  await popup.getByRole('textbox', { name: 'Prompt' }).fill('this one fails');
  await popup.getByRole('button', { name: 'Generate' }).click();

  const panel = await openPage('sidepanel');
  await expect(panel.locator('video')).toHaveCount(1, { timeout: 20_000 });
  await expect(panel.getByRole('button', { name: 'Retry' })).toBeVisible();
  for (const scheme of ['light', 'dark'] as const) {
    await panel.emulateMedia({ colorScheme: scheme });
    expect(await seriousViolations(panel), `side panel (${scheme})`).toEqual([]);
  }
});
