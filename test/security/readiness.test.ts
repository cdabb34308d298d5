import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ADMIN_TOKEN, backends, baseConfig, eventually, makeHub } from '../helpers/hub.ts';
import { editorHub, type EditorHub } from './editor-hub.ts';

/**
 * Readiness of a real hub process: between "the process answers" (/healthz) and "every part can serve"
 * (/readyz) the parts that are not ready yet answer 503 problem+json with Retry-After, never a
 * half-started answer. The editor's start is held back by a node type (in the user dir's nodes folder,
 * where Node-RED looks) that registers only once the test lets it, so the window is there on any machine.
 */
const SLOW_NODE_JS = `module.exports = async function (RED) {
  const fs = require('fs');
  const gate = require('path').join(__dirname, 'release');
  while (!fs.existsSync(gate)) await new Promise((r) => setTimeout(r, 50));
  RED.nodes.registerType('slow start', function (c) { RED.nodes.createNode(this, c); });
};
`;
const SLOW_NODE_HTML = `<script type="text/javascript">RED.nodes.registerType('slow start', { category: 'function', defaults: {}, inputs: 1, outputs: 0, label: 'slow start' });</script>
`;

for (const backend of backends()) {
  describe(`security: readiness of every part (${backend})`, function () {
    this.timeout(240_000);
    let h: EditorHub;
    let nodes: string;
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

    before(async () => {
      h = await editorHub(backend);
      nodes = join(h.dataDir, 'nodered', 'nodes');
      mkdirSync(nodes, { recursive: true });
      writeFileSync(join(nodes, 'slow-start.js'), SLOW_NODE_JS);
      writeFileSync(join(nodes, 'slow-start.html'), SLOW_NODE_HTML);
      await h.start({}, null);
    });
    after(async () => {
      await h?.cleanup();
    });

    const notReady = async (res: Response, what: string) => {
      assert.equal(res.status, 503, `${what}: ${res.status}`);
      assert.ok(Number(res.headers.get('retry-after')) > 0, `${what}: Retry-After`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
      const body = (await res.json()) as { code: string; detail: string };
      assert.equal(body.code, 'HUB_ERR_NOT_READY', what);
      assert.doesNotMatch(body.detail, /Cannot read|undefined|null|TypeError/, what);
      return body;
    };

    it('once /healthz answers, /readyz is 503 with Retry-After until the editor has started, and says which part', async () => {
      await eventually(async () => (await fetch(`${h.base}/healthz`).catch(() => undefined))?.status === 200, 150_000, '/healthz 200');
      const body = (await notReady(await fetch(`${h.base}/readyz`), '/readyz')) as unknown as { checks: Record<string, string> };
      assert.equal(body.checks.editor, 'starting');
      assert.equal(body.checks.store, 'ok');
      assert.equal(body.checks.broker, 'ok');
    });

    it('until then the editor, its sign-in and the endpoints of flows answer 503 problem+json, not an internal error', async () => {
      await notReady(await fetch(`${h.base}/flows/flows`, { headers: admin }), 'GET /flows/flows');
      await notReady(await fetch(`${h.base}/flows/`), 'GET /flows/');
      await notReady(await fetch(`${h.base}/flows/settings`, { headers: admin }), 'GET /flows/settings');
      const grant = new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope: '', username: 'admin', password: ADMIN_TOKEN });
      await notReady(await fetch(`${h.base}/flows/auth/token`, { method: 'POST', body: grant }), 'POST /flows/auth/token');
      await notReady(await fetch(`${h.base}/flows-http/anything`, { headers: admin }), 'GET /flows-http/anything');
      // The rest of the hub serves meanwhile.
      assert.equal((await fetch(`${h.base}/api/v1/messages?limit=1`, { headers: admin })).status, 200);
    });

    it('then /readyz is 200 with every part, and the editor answers', async () => {
      writeFileSync(join(nodes, 'release'), '');
      const ready = await eventually(
        async () => {
          const res = await fetch(`${h.base}/readyz`);
          return res.status === 200 && ((await res.json()) as { checks: Record<string, string> });
        },
        150_000,
        '/readyz 200',
      );
      assert.deepEqual(ready.checks, { store: 'ok', broker: 'ok', editor: 'ok' });
      assert.equal((await fetch(`${h.base}/flows/flows`, { headers: admin })).status, 200);
      await h.process!.waitFor('Node-RED editor at', 30_000);
    });
  });
}

for (const backend of backends()) {
  describe(`security: readiness of the hub's own parts (${backend})`, function () {
    this.timeout(60_000);

    it('reports the sources where this process reads them, the store and the broker; a part that is not ready makes it 503', async () => {
      const csv = {
        id: 'rtu-csv',
        institution: 'rtu.lv',
        system: 'rtu-export',
        mappingSet: 'csv-legacy',
        adapter: {
          type: 'csv',
          options: { dir: 'drop', watch: false, pollIntervalMs: 3_600_000, files: [{ pattern: '^studenti.*\\.csv$', entity: 'person', columns: ['studenta_nr', 'vards', 'uzvards'] }] },
        },
      };
      const config = baseConfig();
      const all = await makeHub({ backend, config: { ...config, sources: [...config.sources, csv] } });
      const api = await makeHub({ backend, role: 'api', config: { ...config, sources: [...config.sources, csv] } });
      try {
        const ready = await request(all.app).get('/readyz').expect(200);
        assert.deepEqual(ready.body.checks, { store: 'ok', broker: 'ok', sources: 'ok' });
        assert.deepEqual((await request(api.app).get('/readyz').expect(200)).body.checks, { store: 'ok', broker: 'ok' }, 'an API process reads no sources');
        const part = all.hub.readiness.state('later part', 'starting');
        const res = await request(all.app).get('/readyz').expect(503);
        assert.equal(res.headers['retry-after'], '5');
        assert.equal(res.body.code, 'HUB_ERR_NOT_READY');
        assert.equal(res.body.checks['later part'], 'starting');
        part.set(undefined);
        await request(all.app).get('/readyz').expect(200);
      } finally {
        await all.stop();
        await api.stop();
      }
    });
  });
}
