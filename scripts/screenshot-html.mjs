#!/usr/bin/env node
// Screenshots a month's report.html in headless Chromium (the README's image of the HTML view):
//   npm run demo -- --month 2026-10 && node scripts/screenshot-html.mjs reports/2026-10/report.html docs/images/html-view.png
// Opens the first team's pods, as a reader would. Needs Debian's chromium (scripts/test.sh installs it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [html, png] = process.argv.slice(2);
if (!html || !png) {
  process.stderr.write('usage: node scripts/screenshot-html.mjs <report.html> <out.png>\n');
  process.exit(2);
}
const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1200, height: 1000 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await context.newPage();
  await page.goto(`file://${resolve(html)}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('tr.group >> nth=0');
  await page.screenshot({ path: png });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
