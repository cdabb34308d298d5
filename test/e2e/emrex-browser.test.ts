import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { LearnerCredentials } from '../../src/emrex/learner/types.ts';
import { startContactPoint, type ContactPointSetup } from '../emrex/helpers/contact-point.ts';
import { launch, needBrowser, overflowsWidth, seriousViolations, shot, unlabeledControls, type Browser } from './browser.ts';

/**
 * The EMREX contact point and the learner's page as a learner uses them, in Chromium: from the test
 * client's page to the hub, sign-in at the development provider, the choice in Latvian and English, the
 * answer submitted back to the client by the page's one script (under its CSP), then the learner's page
 * with what was sent and the digital diplomas; axe-core finds no serious violation on the hub's pages.
 */
describe('EMREX contact point and the learner’s page in a browser', function () {
  this.timeout(90_000);
  let s: ContactPointSetup;
  let b: Browser;
  let page: Page;
  const cspErrors: string[] = [];
  const credentials: LearnerCredentials = {
    ofPersons: () => Promise.resolve([{ id: 'cred-1', title: { lv: 'Bakalaura diploms', en: "Bachelor's diploma" }, institution: 'lu.lv', issuedAt: '2024-06-20T10:00:00Z', status: 'active' }]),
    download: (_ids, id) => Promise.resolve(id === 'cred-1' ? { contentType: 'application/json', filename: 'diploma.json', body: '{"credential":"cred-1"}' } : undefined),
  };

  before(async function () {
    needBrowser(this);
    s = await startContactPoint({ credentials });
    b = await launch();
    page = b.page;
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
  });
  after(async () => {
    await b?.close();
    await s?.stop();
  });

  async function checkPage(name: string) {
    assert.deepEqual(await unlabeledControls(page), [], `controls without a label on ${name}`);
    assert.equal(await overflowsWidth(page), false, `${name} is wider than a 1366 px window`);
    assert.deepEqual(await seriousViolations(page), [], `axe-core on ${name}`);
    await shot(page, name);
  }

  it('takes the learner from the client through sign-in and choice back to the client with EMP_OK', async () => {
    await page.goto(`${s.clientUrl}/start?sessionId=browser-round-trip`);
    await page.getByRole('button', { name: 'Fetch my results from Latvia' }).click();
    await page.waitForURL(new RegExp(`^${s.op.issuer}/interaction/`));
    assert.match(await page.locator('main').innerText(), /development OpenID provider/);
    await page.getByRole('button', { name: 'Anna Liepiņa' }).click();
    await page.waitForURL(/\/emrex\/choose/);
    // The browser asks for English first: the page follows it; the switch gives Latvian.
    assert.equal(await page.locator('h1').innerText(), 'Choose the results to send');
    await checkPage('emrex-01-choose-en');
    await page.getByRole('link', { name: 'Latviski' }).click();
    await page.waitForURL(/lang=lv/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'lv');
    assert.equal(await page.locator('h1').innerText(), 'Izvēlieties nosūtāmos rezultātus');
    await page.getByLabel('Matemātiskā analīze').uncheck();
    await checkPage('emrex-02-choose-lv');
    await page.getByRole('button', { name: 'Apstiprināt un nosūtīt' }).click();
    // The answer page's script submits the form to the client at once.
    await page.waitForURL(`${s.clientUrl}/return`);
    assert.match(await page.locator('body').innerText(), /received by the test EMREX client/);
    const got = s.received.find((r) => r.sessionId === 'browser-round-trip');
    assert.equal(got?.returnCode, 'EMP_OK');
    assert.match(got?.returnMessage ?? '', /^2 result/);
    assert.deepEqual(cspErrors, [], 'nothing the pages do is blocked by their CSP');
  });

  it('refuses an unknown client with a page the learner can read', async () => {
    await page.setContent(
      `<form method="post" action="${s.hubUrl}/emrex/"><input type="hidden" name="sessionId" value="x"><input type="hidden" name="returnUrl" value="https://evil.example/r"><button>go</button></form>`,
    );
    await page.getByRole('button', { name: 'go' }).click();
    await page.waitForURL(`${s.hubUrl}/emrex/`);
    assert.match(await page.locator('main').innerText(), /not registered as an EMREX client/);
    await checkPage('emrex-03-unknown-client');
  });

  it('shows the learner what was sent where and when, and their digital diplomas', async () => {
    await page.goto(`${s.hubUrl}/learner/?lang=lv`);
    await checkPage('learner-01-sign-in');
    await page.getByRole('link', { name: 'Pierakstīties' }).click();
    await page.getByRole('button', { name: 'Anna Liepiņa' }).click();
    await page.waitForURL(/\/learner\/\?lang=lv/);
    const text = await page.locator('main').innerText();
    assert.match(text, /Nosūtītie rezultāti/);
    assert.match(text, /vu\.lt/);
    assert.match(text, /Digitālie diplomi/);
    assert.match(text, /Bakalaura diploms/);
    await checkPage('learner-02-page');
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /Lejupielādēt/ }).click();
    assert.equal((await download).suggestedFilename(), 'diploma.json');
    await page.getByRole('button', { name: 'Izrakstīties' }).click();
    await page.waitForURL(/\/learner\//);
    assert.match(await page.locator('main').innerText(), /Pierakstīties/);
  });
});
