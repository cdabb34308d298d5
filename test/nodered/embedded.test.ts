import assert from 'node:assert/strict';
import { createDecipheriv, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, eventually } from '../helpers/hub.ts';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';
import { needBrowser, launch } from '../e2e/browser.ts';

/**
 * The embedded editor in a real hub process (`hub demo` with a config file, and `hub start`). Node-RED
 * is a per-process singleton (RED.start after RED.stop fails), so each runtime is its own process.
 */
const config = {
  institutions: [
    { id: 'lu.lv', name: 'Latvijas Universitāte' },
    { id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte' },
  ],
  sources: [
    { id: 'rtu-push', institution: 'rtu.lv', system: 'rtu-sis', mappingSet: 'canonical' },
    { id: 'rtu-legacy', institution: 'rtu.lv', system: 'rtu-legacy', mappingSet: 'csv-legacy' },
  ],
  sinks: [
    { id: 'archive', type: 'file', options: { path: 'out/archive.jsonl' } },
    { id: 'register', type: 'webhook', options: { url: 'http://127.0.0.1:1/register', secretEnv: 'HUB_TEST_WEBHOOK_SECRET', timeoutMs: 1000 } },
  ],
  routes: [
    { id: 'archive-all', sink: 'archive', match: {}, legalBasis: 'public-task', purpose: 'archive' },
    { id: 'register-persons', sink: 'register', match: { entities: ['person'] }, legalBasis: 'legal-obligation', purpose: 'a register that is down', retry: { maxAttempts: 1 } },
  ],
};

const SECRET = 'flows-credential-secret-0123456789';

describe('Node-RED embedded in the hub (child processes)', function () {
  this.timeout(180_000);
  let dir: string;
  let hub: HubProcess | undefined;
  let base: string;
  const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-nodered-'));
    writeFileSync(join(dir, 'hub.json'), JSON.stringify(config));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    hub = runHub(['demo', '--no-feed'], {
      HUB_DATA_DIR: join(dir, 'data'),
      HUB_CONFIG: join(dir, 'hub.json'),
      PORT: String(port),
      HOST: '127.0.0.1',
      HUB_ADMIN_TOKEN: ADMIN_TOKEN,
      HUB_NODERED_SECRET: SECRET,
      HUB_TEST_WEBHOOK_SECRET: 'webhook-secret-0123456789',
      // Embedded store and broker in the child: never the shared PostgreSQL/RabbitMQ of the test env.
      DATABASE_URL: '',
      AMQP_URL: '',
    });
    await hub.waitFor('demo is running', 150_000);
  });
  after(async () => {
    await hub?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the editor API answers 401 without credentials, and with a token that lacks the admin scope', async () => {
    for (const path of ['/flows/flows', '/flows/settings', '/flows/nodes', '/flows/hub-nodes/catalog']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 401, path);
    }
    const created = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reader', scopes: ['read:*', 'ingest:*'] }),
    });
    assert.equal(created.status, 201);
    const { token } = (await created.json()) as { token: string };
    assert.equal((await fetch(`${base}/flows/flows`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
    assert.equal((await fetch(`${base}/flows/flows`, { headers: { authorization: 'Bearer not-a-token-at-all' } })).status, 401);
  });

  it('the editor page asks for a login (credentials); only user admin with the admin token gets one', async () => {
    const page = await fetch(`${base}/flows/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const login = (await (await fetch(`${base}/flows/auth/login`)).json()) as { type: string };
    assert.equal(login.type, 'credentials');
    const grant = (password: string, username = 'admin') =>
      fetch(`${base}/flows/auth/token`, { method: 'POST', body: new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', username, password }) });
    assert.equal((await grant('wrong-password-0123456789')).status, 403);
    assert.equal((await grant(ADMIN_TOKEN, 'root')).status, 403);
    const ok = await grant(ADMIN_TOKEN);
    assert.equal(ok.status, 200);
    const { access_token } = (await ok.json()) as { access_token: string };
    assert.equal((await fetch(`${base}/flows/flows`, { headers: { authorization: `Bearer ${access_token}` } })).status, 200);
  });

  it('in a browser: only a login until signed in; then the example flows and the hub nodes, whose dialogs work', async function () {
    needBrowser(this);
    const b = await launch();
    try {
      const errors: string[] = [];
      b.page.on('pageerror', (e) => errors.push(e.message));
      await b.page.goto(`${base}/flows/`);
      await b.page.waitForSelector('#node-dialog-login-username', { timeout: 30_000 });
      assert.equal(await b.page.locator('.red-ui-palette-node[data-palette-type="hub subscribe"]').count(), 0, 'no palette before the login');
      await b.page.fill('#node-dialog-login-username', 'admin');
      await b.page.fill('#node-dialog-login-password', 'not-the-token-0123456789');
      await b.page.click('#node-dialog-login-submit');
      await b.page.waitForSelector('#node-dialog-login-failed', { state: 'visible' });
      await b.page.fill('#node-dialog-login-password', ADMIN_TOKEN);
      await b.page.click('#node-dialog-login-submit');
      await b.page.waitForSelector('.red-ui-palette-node[data-palette-type="hub subscribe"]', { timeout: 30_000 });
      for (const t of ['hub ingest', 'hub map', 'hub validate', 'hub record']) assert.equal(await b.page.locator(`.red-ui-palette-node[data-palette-type="${t}"]`).count(), 1, t);
      await b.page.getByText('Library patron feed', { exact: true }).first().click();
      await b.page.locator('.red-ui-flow-node-group', { hasText: 'study-right changes' }).first().dblclick();
      const queue = b.page.locator('#node-input-queue');
      await queue.waitFor({ state: 'visible' });
      assert.equal(await queue.inputValue(), 'library-patrons');
      assert.equal(await b.page.locator('#node-input-patterns').inputValue(), 'study-right.upsert.#');
      // The pick lists come from the running hub (GET hub-nodes/catalog behind the login).
      await b.page.waitForFunction("document.querySelectorAll('#study-hub-routes option').length > 0");
      await b.page.screenshot({ path: join(dir, 'editor.png') });
      assert.deepEqual(errors, []);
    } finally {
      await b.close();
    }
  });

  it('answers 200 with the admin token: the example flows are loaded, with the hub nodes', async () => {
    const res = await fetch(`${base}/flows/flows`, { headers: bearer });
    assert.equal(res.status, 200);
    const flows = (await res.json()) as { type: string; label?: string }[];
    const tabs = flows
      .filter((n) => n.type === 'tab')
      .map((n) => n.label)
      .sort();
    assert.deepEqual(tabs, ['Library patron feed', 'Nightly import: RTU legacy export', 'Notify: rejected deliveries']);
    const nodes = (await (await fetch(`${base}/flows/nodes`, { headers: { ...bearer, accept: 'application/json' } })).json()) as { types: string[]; err?: string }[];
    const types = nodes.flatMap((n) => n.types);
    for (const t of ['hub ingest', 'hub subscribe', 'hub map', 'hub validate', 'hub record']) assert.ok(types.includes(t), t);
    assert.ok(
      nodes.every((n) => !n.err),
      JSON.stringify(nodes.filter((n) => n.err)),
    );
    const catalog = (await (await fetch(`${base}/flows/hub-nodes/catalog`, { headers: bearer })).json()) as { sources: { id: string }[] };
    assert.deepEqual(
      catalog.sources.map((s) => s.id),
      ['rtu-push', 'rtu-legacy'],
    );
  });

  it('the scheduled import ran: the export rows are in the hub, the bad row rejected with its reason', async () => {
    const items = await eventually(
      async () => {
        const r = (await (await fetch(`${base}/api/v1/messages?source=rtu-legacy&limit=20`, { headers: bearer })).json()) as { items: { status: string; errorDetail: string | null }[] };
        return r.items.length === 6 && r.items;
      },
      60_000,
      'six messages of rtu-legacy',
    );
    assert.equal(items.filter((m) => m.status === 'rejected').length, 1);
    assert.match(items.find((m) => m.status === 'rejected')!.errorDetail ?? '', /dzimsanas_datums: not a valid date/);
  });

  it('the library feed writes a patron when a study right changes; the dead-delivery notice is written', async () => {
    const post = (entity: string, body: unknown) =>
      fetch(`${base}/api/v1/ingest/rtu-push/${entity}`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const person = await post('person', {
      sourceId: 'RTU777001',
      identifiers: [{ scheme: 'student-number', value: '221RDB777' }],
      givenNames: 'Līga',
      familyName: 'Ozoliņa',
      email: 'liga@example.lv',
    });
    assert.equal(person.status, 202);
    const sr = await post('study-right', {
      sourceId: 'SR-777',
      identifiers: [{ scheme: 'student-number', value: '221RDB777' }],
      person: { sourceId: 'RTU777001' },
      programme: { sourceId: 'RDB0' },
      matriculation: { orderNumber: '02000-2.2/777', date: '2022-08-22' },
      statusPeriods: [{ status: 'active', start: '2022-09-01' }],
      funding: 'tuition',
      studyForm: 'full-time',
    });
    assert.equal(sr.status, 202);
    const patrons = join(dir, 'data', 'out', 'library', 'patrons.jsonl');
    const line = await eventually(
      async () =>
        existsSync(patrons) &&
        readFileSync(patrons, 'utf8')
          .split('\n')
          .find((l) => l.includes('221RDB777')),
      60_000,
      'the patron line',
    );
    assert.deepEqual(JSON.parse(line), {
      patronId: '221RDB777',
      institution: 'rtu.lv',
      category: 'student',
      givenNames: 'Līga',
      familyName: 'Ozoliņa',
      email: 'liga@example.lv',
      status: 'active',
      studyRight: 'SR-777',
      programme: 'RDB0',
      hubVersion: 1,
    });
    // The person's delivery to the register (down, one attempt) went dead: the notification flow wrote it.
    const log = join(dir, 'data', 'out', 'notifications.log');
    const notice = await eventually(
      async () =>
        existsSync(log) &&
        readFileSync(log, 'utf8')
          .split('\n')
          .find((l) => l.includes('route=register-persons')),
      60_000,
      'the notice',
    );
    assert.match(notice, /DEAD route=register-persons entity=person institution=rtu.lv message=\S+ attempts=1 reason: /);
    assert.doesNotMatch(notice, /Ozoli|RTU777001/, 'no record data in the notice');
  });

  it('http in endpoints of flows need a hub token (401 problem+json without)', async () => {
    const res = await fetch(`${base}/flows-http/anything`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  });

  it('a deploy from the editor API is written as pretty JSON without secrets; credentials encrypted with the key from the environment', async () => {
    const flows = (await (await fetch(`${base}/flows/flows`, { headers: bearer })).json()) as Record<string, unknown>[];
    const tab = { id: 'd00d000000000001', type: 'tab', label: 'Deployed in a test', disabled: false, info: '' };
    const req = {
      id: 'd00d000000000002',
      type: 'http request',
      z: tab.id,
      name: 'with a password',
      method: 'GET',
      ret: 'txt',
      paytoqs: 'ignore',
      url: 'http://127.0.0.1:1/',
      tls: '',
      persist: false,
      proxy: '',
      authType: 'basic',
      senderr: false,
      headers: [],
      x: 100,
      y: 100,
      wires: [[]],
      credentials: { user: 'library', password: 'p4ssw0rd-in-creds' },
    };
    const res = await fetch(`${base}/flows/flows`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json', 'node-red-deployment-type': 'full' },
      body: JSON.stringify([...flows, tab, req]),
    });
    assert.equal(res.status, 204);
    const file = join(dir, 'data', 'flows', 'flows.json');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^\[\n {4}\{/, 'pretty JSON');
    assert.ok(text.includes('Deployed in a test'));
    assert.ok(!text.includes('p4ssw0rd'), 'no credentials in the flow file');
    // Node-RED keeps the credentials file in its userDir (under the data dir), encrypted with HUB_NODERED_SECRET.
    const creds = JSON.parse(readFileSync(join(dir, 'data', 'nodered', 'flows_cred.json'), 'utf8')) as { $: string };
    assert.ok(!JSON.stringify(creds).includes('p4ssw0rd'), 'credentials are encrypted');
    const key = createHash('sha256').update(SECRET).digest();
    const iv = Buffer.from(creds.$.substring(0, 32), 'hex');
    const decipher = createDecipheriv('aes-256-ctr', key, iv);
    const plain = decipher.update(creds.$.substring(32), 'base64', 'utf8') + decipher.final('utf8');
    assert.equal((JSON.parse(plain) as Record<string, { password: string }>)[req.id]!.password, 'p4ssw0rd-in-creds');
    const runtime = readFileSync(join(dir, 'data', 'nodered', '.config.runtime.json'), 'utf8');
    assert.ok(!runtime.includes('_credentialSecret'), 'Node-RED did not generate a key of its own');
    assert.ok(!existsSync(join(dir, 'data', 'nodered', 'credential-secret')), 'no generated secret when HUB_NODERED_SECRET is set');
  });

  it('stops cleanly on SIGTERM (flows first, then the server and the hub)', async () => {
    const p = hub!;
    hub = undefined;
    await p.kill('SIGTERM');
    assert.equal(p.child.exitCode, 0, p.output());
  });

  it('`hub start` with a config file refuses to start the editor without HUB_NODERED_SECRET', async () => {
    const p = runHub(['start', '--config', join(dir, 'hub.json')], {
      HUB_DATA_DIR: join(dir, 'data2'),
      PORT: String(await freePort()),
      HUB_ADMIN_TOKEN: ADMIN_TOKEN,
      HUB_NODERED: 'on',
      HUB_TEST_WEBHOOK_SECRET: 'webhook-secret-0123456789',
      DATABASE_URL: '',
      AMQP_URL: '',
    });
    await eventually(async () => p.child.exitCode !== null, 60_000, 'the process to exit');
    assert.equal(p.child.exitCode, 1);
    assert.match(p.output(), /HUB_NODERED_SECRET/);
    assert.ok(!existsSync(join(dir, 'data2', 'hub.sqlite')), 'refused before the hub opened its store');
  });

  it('the demo without a config file generates the credentials key into the data dir, mode 0600', async () => {
    const { credentialSecret } = await import('../../src/nodered/secret.ts');
    const file = join(dir, 'gen', 'credential-secret');
    const a = credentialSecret({}, { file, generate: true });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(a.note ?? '', /demo only/);
    assert.equal(credentialSecret({}, { file, generate: true }).secret, a.secret, 'kept across restarts');
    assert.throws(() => credentialSecret({ HUB_NODERED_SECRET: 'short' }, { file, generate: true }), /at least 16/);
  });
});
