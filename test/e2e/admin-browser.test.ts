import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { createApp } from '../../src/api/app.ts';
import { makeOldPersonalCode } from '../../src/core/personal-code.ts';
import { ADMIN_TOKEN, canonicalPerson, eventually } from '../helpers/hub.ts';
import { needBrowser, launch, overflowsWidth, shot, unlabeledControls, type Browser } from './browser.ts';
import { adminFixture, canonicalCourse, ingest, type AdminFixture } from './fixture.ts';

/**
 * The "done when", in a real browser: a new admin finds why a record was rejected, checks
 * the mapping, fixes the file, replays the message and sees it delivered; and replays a dead
 * delivery once its receiver is back. Every page visited is saved as a screenshot.
 */
describe('admin console in a browser', function () {
  this.timeout(60_000);
  let f: AdminFixture;
  let server: Server;
  let base: string;
  let b: Browser;
  let page: Page;
  let rejectedId: string;
  let courseId: string;
  const code = makeOldPersonalCode(new Date(Date.UTC(2001, 2, 3)), 45)!;

  before(async function () {
    needBrowser(this);
    f = await adminFixture();
    rejectedId = await ingest(f.t, 'person', canonicalPerson(50), 422);
    courseId = await ingest(f.t, 'course', canonicalCourse('WEB001'), 202);
    await eventually(async () => (await f.t.hub.store.getMessage(courseId))?.status === 'dead', 10_000, 'the course delivery dead');
    server = createServer(createApp(f.t.hub)).listen(0, '127.0.0.1');
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
    await f?.stop();
  });

  /** Checks what every page must have: a name for each control, no sideways scrolling at 1366 px. */
  async function checkPage(name: string) {
    assert.deepEqual(await unlabeledControls(page), [], `controls without a label on ${name}`);
    assert.equal(await overflowsWidth(page), false, `${name} is wider than a 1366 px window`);
    await shot(page, name);
  }

  it('signs in with the admin token', async () => {
    await page.goto(`${base}/admin/`);
    assert.match(page.url(), /\/admin\/login\?next=/);
    await checkPage('01-login');
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/admin/`);
    assert.equal(await page.locator('h1').textContent(), 'Dashboard');
  });

  it('shows the rejection on the dashboard, keyboard first: the skip link is the first stop', async () => {
    assert.equal(await page.locator('[data-live="s:rtu-push:rejected:hour"]').textContent(), '1');
    assert.equal(await page.locator('[data-live="r:courses-hook:dead:hour"]').textContent(), '1');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
    await checkPage('02-dashboard');
  });

  it('finds why the record was rejected: the message page marks the missing field', async () => {
    await page.locator('[data-live="s:rtu-push:rejected:hour"]').click();
    await page.waitForURL(/\/admin\/messages\?source=rtu-push&status=rejected/);
    await checkPage('03-messages-rejected');
    await page.locator(`a[href="/admin/messages/${rejectedId}"]`).click();
    await page.waitForURL(`${base}/admin/messages/${rejectedId}`);
    const why = page.locator('section.why');
    assert.match((await why.textContent()) ?? '', /HUB_ERR_SCHEMA_VALIDATION/);
    assert.match((await why.locator('.violations').textContent()) ?? '', /\/familyName/);
    await why.getByRole('link', { name: 'show in the canonical record' }).click();
    const mark = page.locator('mark.j-bad:target');
    assert.equal(await mark.count(), 1);
    assert.equal(await mark.textContent(), 'missing');
    assert.ok(await mark.isVisible());
    await checkPage('04-message-rejected');
  });

  it('tries the mapping on the message record: canonical output and validation side by side', async () => {
    await page.getByRole('link', { name: 'Mappings → try this message' }).click();
    await page.waitForURL(/\/admin\/mappings\/try\?message=/);
    assert.match(await page.getByLabel("Record (JSON, in the source's format)").inputValue(), /Ozoliņa/);
    await page.getByRole('button', { name: 'Run the mapping' }).click();
    await page.waitForSelector('[data-try-violations]');
    assert.match((await page.locator('[data-try-violations]').textContent()) ?? '', /\/familyName/);
    await checkPage('05-try-mapping-buggy');
  });

  it('runs the golden tests: failing with the bug, passing once the mapping file is fixed', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Mappings' }).click();
    await page.waitForURL(`${base}/admin/mappings`);
    await checkPage('06-mappings');
    await page.getByRole('link', { name: 'Run the tests of canonical' }).click();
    const summary = page.locator('[data-golden-summary]');
    assert.doesNotMatch((await summary.textContent()) ?? '', / 0 failed/);
    await checkPage('07-golden-failing');
    f.setPersonMapping('$');
    await page.getByRole('link', { name: 'Run again' }).click();
    await page.waitForLoadState();
    assert.match((await page.locator('[data-golden-summary]').textContent()) ?? '', /passed, 0 failed/);
    await checkPage('08-golden-passing');
  });

  it('replays the message after a confirmation and sees it delivered, live', async () => {
    await page.goto(`${base}/admin/messages/${rejectedId}`);
    await page.getByRole('button', { name: 'Replay…' }).click();
    await page.waitForURL(`${base}/admin/replay`);
    assert.match((await page.locator('caption').textContent()) ?? '', /1 of 1 selected/);
    await checkPage('09-replay-confirm');
    await page.getByRole('button', { name: 'Replay 1 message(s)' }).click();
    await page.waitForURL(`${base}/admin/replay/confirm`);
    assert.match((await page.locator('.notice').textContent()) ?? '', /1 of 1 message\(s\) replayed/);
    await checkPage('10-replay-results');
    await page.locator(`a[href="/admin/messages/${rejectedId}"]`).click();
    await page.waitForURL(`${base}/admin/messages/${rejectedId}`);
    // The status follows the pipeline live (server-sent events) until the delivery is recorded.
    await page.waitForFunction(`document.querySelector('[data-live="status"]').textContent === 'delivered'`, undefined, { timeout: 20_000 });
    await page.reload();
    assert.equal(await page.locator('section.why').count(), 0, 'no rejection any more');
    assert.match((await page.locator('table.attempts').first().textContent()) ?? '', /delivered/);
    assert.match((await page.locator('.facts').textContent()) ?? '', /v1/);
    assert.match((await page.locator('section[aria-labelledby="h-diff"]').textContent()) ?? '', /same content as this message/);
    await checkPage('11-message-delivered');
  });

  it('replays a dead delivery from the dead letters once the receiver is back', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dead letters' }).click();
    await page.waitForURL(`${base}/admin/dead`);
    await checkPage('12-dead-letters');
    await page.getByLabel(`Select the delivery of message ${courseId} to courses-hook`).check();
    await page.getByRole('button', { name: 'Replay selected…' }).click();
    await page.waitForURL(`${base}/admin/replay`);
    assert.match((await page.locator('tbody').textContent()) ?? '', /delivers again to courses-hook/);
    assert.equal(f.rx.state.received, 0);
    f.rx.state.failing = false;
    await page.getByRole('button', { name: 'Replay 1 message(s)' }).click();
    await page.waitForURL(`${base}/admin/replay/confirm`);
    await page.locator(`a[href="/admin/messages/${courseId}"]`).click();
    await page.waitForFunction(`document.querySelector('[data-live="status"]').textContent === 'delivered'`, undefined, { timeout: 20_000 });
    assert.equal(f.rx.state.received, 1);
    await page.goto(`${base}/admin/dead`);
    assert.match((await page.locator('main').textContent()) ?? '', /No dead or withheld deliveries match/);
  });

  it('finds a person by personal code without putting it in the address', async () => {
    const coded = await ingest(f.t, 'person', canonicalPerson(51, { identifiers: [{ scheme: 'lv-personas-kods', value: code }] }), 202);
    await page.goto(`${base}/admin/messages`);
    await checkPage('13-messages');
    // Typed into the student-number field by mistake: the page moves it to the POST form.
    page.once('dialog', (d) => void d.accept());
    await page.getByLabel('Student number', { exact: true }).fill(code);
    await page.getByRole('button', { name: 'Search' }).click();
    assert.equal(await page.getByLabel('Personal code or student number').inputValue(), code);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(`${base}/admin/messages/find`);
    assert.ok(!page.url().includes(code.slice(0, 6)));
    assert.equal(await page.locator(`a[href="/admin/messages/${coded}"]`).count(), 1);
    await checkPage('14-find-person');
  });

  it('shows the metrics, and signs out', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Metrics' }).click();
    assert.match((await page.locator('pre').textContent()) ?? '', /hub_/);
    await checkPage('15-metrics');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/admin/login`);
    await page.goto(`${base}/admin/`);
    assert.match(page.url(), /\/admin\/login/);
  });
});
