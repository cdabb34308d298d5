import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { createApp } from '../../src/api/app.ts';
import { baseConfig, makeHub, type TestHub } from '../helpers/hub.ts';
import { seedCatalogue } from '../catalogue/seed.ts';
import { launch, needBrowser, overflowsWidth, seriousViolations, shot, unlabeledControls, type Browser } from './browser.ts';

/**
 * The catalogue as a student or an employer uses it, in Chromium: search in Latvian without
 * diacritics, filter, open a course, switch to English, open the programme; axe-core finds no serious
 * accessibility violation on any page, and each page is saved as a screenshot.
 */
describe('catalogue pages in a browser', function () {
  this.timeout(90_000);
  let t: TestHub;
  let server: Server;
  let base: string;
  let b: Browser;
  let page: Page;

  before(async function () {
    needBrowser(this);
    t = await makeHub({ config: baseConfig({ catalogue: { requestsPerMinute: 100_000 } }) });
    await seedCatalogue(t.app);
    await t.hub.catalogue.catchUp();
    server = createServer(createApp(t.hub)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    b = await launch();
    page = b.page;
  });

  after(async () => {
    await b?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    await t?.stop();
  });

  async function checkPage(name: string) {
    assert.deepEqual(await unlabeledControls(page), [], `controls without a label on ${name}`);
    assert.equal(await overflowsWidth(page), false, `${name} is wider than a 1366 px window`);
    assert.deepEqual(await seriousViolations(page), [], `axe-core on ${name}`);
    await shot(page, name);
  }

  it('finds a course by a Latvian word typed without diacritics', async () => {
    await page.goto(`${base}/catalogue?lang=lv`);
    await checkPage('catalogue-01-start');
    await page.getByLabel('Meklēt kursus un programmas').fill('programmatura');
    await page.getByRole('button', { name: 'Meklēt' }).click();
    await page.waitForURL(/q=programmatura/);
    assert.match(await page.locator('main').innerText(), /Programmatūras inženierija/);
    await checkPage('catalogue-02-results');
  });

  it('filters by mode of delivery and micro-credential', async () => {
    await page.goto(`${base}/catalogue?lang=lv`);
    await page.getByLabel('Norises veids').selectOption('online');
    await page.getByLabel(/Mikrokvalifikācija/).check();
    await page.getByRole('button', { name: 'Atlasīt' }).click();
    await page.waitForURL(/mode=online/);
    const text = await page.locator('main').innerText();
    assert.match(text, /Atrasti: 1/);
    assert.match(text, /Kiberdrošības pamati/);
  });

  it('opens a course, switches to English, and follows it to its programme', async () => {
    await page.goto(`${base}/catalogue?q=datortikli&lang=lv`);
    await page.getByRole('link', { name: 'Datortīkli' }).click();
    await page.waitForURL(/\/catalogue\/courses\//);
    assert.equal(await page.locator('h1').innerText(), 'Datortīkli');
    await checkPage('catalogue-03-course');
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(/lang=en/);
    assert.equal(await page.locator('h1').innerText(), 'Computer Networks');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.getByRole('link', { name: 'Computer Systems' }).click();
    await page.waitForURL(/\/catalogue\/programmes\//);
    assert.match(await page.locator('main').innerText(), /Admission requirements/);
    await checkPage('catalogue-04-programme');
  });
});
