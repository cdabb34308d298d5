import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapters } from '../../adapters/index.ts';
import { demoConfig } from '../../src/config/demo.ts';
import { validateConfig } from '../../src/config/load.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { catalogOf } from '../../src/nodered/bridge.ts';
import { checkFlow } from '../../src/nodered/check.ts';
import { exampleFlowFiles, readFlowFile } from '../../src/nodered/examples.ts';
import { schemas } from '../helpers/hub.ts';
import { HUB_BIN } from '../helpers/process.ts';

const mappings = new MappingEngine();
const config = validateConfig(demoConfig('http://127.0.0.1:1/hook', { laisUrl: 'http://127.0.0.1:1', isisUrl: 'http://127.0.0.1:1/isis' }), { schemas, adapters, mappingsDir: mappings.dir });
const catalog = catalogOf(config, schemas, mappings);
const tab = { id: 't1', type: 'tab', label: 'x' };

describe('hub flows check', () => {
  it('the example flows pass against the demo configuration, and are pretty JSON', () => {
    const files = exampleFlowFiles();
    assert.equal(files.length, 3);
    for (const f of files) {
      assert.deepEqual(checkFlow(readFlowFile(f), catalog), [], f);
      const text = readFileSync(f, 'utf8');
      assert.equal(text, `${JSON.stringify(JSON.parse(text), null, 4)}\n`, `${f} is pretty JSON (4 spaces), as Node-RED writes it`);
    }
  });

  it('reports each hub node that refers to a source, schema or mapping set that does not exist', () => {
    const problems = checkFlow(
      [
        tab,
        { id: 'a', type: 'hub ingest', z: 't1', source: 'no-such-source', entity: 'person' },
        { id: 'b', type: 'hub ingest', z: 't1', source: 'rtu-legacy', entity: 'course' },
        { id: 'c', type: 'hub map', z: 't1', mappingSet: 'nope', entity: 'person' },
        { id: 'd', type: 'hub map', z: 't1', mappingSet: 'viis', entity: 'course' },
        { id: 'e', type: 'hub validate', z: 't1', entity: 'spaceship' },
        { id: 'f', type: 'hub record', z: 't1', entity: '' },
        { id: 'g', type: 'hub subscribe', z: 't1', feed: 'events', queue: 'q1', patterns: 'spaceship.*.# person.upsert.nowhere.lv', purpose: 'x' },
        { id: 'h', type: 'hub subscribe', z: 't1', feed: 'events', queue: 'q1', patterns: 'person.*.#', purpose: '' },
        { id: 'i', type: 'hub subscribe', z: 't1', feed: 'dead', queue: 'q2', routes: 'no-route' },
        { id: 'j', type: 'hub frobnicate', z: 't1' },
      ],
      catalog,
    );
    const byNode = (id: string) => problems.filter((p) => p.node.startsWith(`${id} `)).map((p) => `${p.path} ${p.message}`);
    assert.match(byNode('a').join(), /\/1\/source unknown source 'no-such-source'/);
    assert.match(byNode('b').join(), /\/2\/entity source 'rtu-legacy' cannot take 'course': its mapping set 'csv-legacy' maps attainment, person/);
    assert.match(byNode('c').join(), /unknown mapping set 'nope'/);
    assert.match(byNode('d').join(), /mapping set 'viis' has no mapping for 'course'/);
    assert.match(byNode('e').join(), /unknown entity 'spaceship'/);
    assert.match(byNode('f').join(), /no entity set/);
    assert.match(byNode('g').join(), /pattern 'spaceship\.\*\.#': unknown entity 'spaceship'.*pattern 'person\.upsert\.nowhere\.lv': unknown institution 'nowhere\.lv'/);
    assert.match(byNode('h').join(), /queue name 'q1' is also used by g.*\/purpose say what the flow does/);
    assert.match(byNode('i').join(), /unknown route 'no-route'/);
    assert.match(byNode('j').join(), /unknown hub node type 'hub frobnicate'/);
    assert.equal(problems.length, 12, JSON.stringify(problems, null, 1));
  });

  it('reports secrets in a flow file', () => {
    const problems = checkFlow(
      [
        tab,
        { id: 'a', type: 'http request', z: 't1', url: 'https://library.example.lv', headers: [{ keyType: 'Authorization', valueType: 'other', valueValue: 'Bearer abcdefghijkl123' }] },
        { id: 'b', type: 'function', z: 't1', func: 'const t = "shub_0123456789abcdefghijklmnop";' },
        { id: 'c', type: 'mqtt-broker', z: 't1', password: 'hunter2hunter2' },
        { id: 'd', type: 'http request', z: 't1', credentials: { user: 'x', password: 'y' } },
        { id: 'e', type: 'change', z: 't1', token: '${LIBRARY_TOKEN}' },
      ],
      catalog,
    );
    assert.deepEqual(
      problems.map((p) => p.node.split(' ')[0] + ' ' + p.path),
      ['a /1/headers/0/valueValue', 'b /2/func', 'c /3/password', 'd /4/credentials', 'd /4/credentials/password'],
    );
  });

  it('`hub flows check <file>` exits 1 and prints each problem; 0 for the example flows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flows-check-'));
    try {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify([tab, { id: 'a', type: 'hub ingest', z: 't1', source: 'gone', entity: 'person' }]));
      const bad = spawnSync(process.execPath, [HUB_BIN, 'flows', 'check', file], { encoding: 'utf8', env: { ...process.env, HUB_CONFIG: '' } });
      assert.equal(bad.status, 1, bad.stderr);
      assert.match(bad.stdout, /bad\.json: a \(hub ingest\): \/1\/source: unknown source 'gone'/);
      assert.match(bad.stdout, /1 problem in 1 of 1 files \(checked against the demo configuration\)/);
      const good = spawnSync(process.execPath, [HUB_BIN, 'flows', 'check'], { encoding: 'utf8', env: { ...process.env, HUB_CONFIG: '' } });
      assert.equal(good.status, 0, good.stdout + good.stderr);
      assert.match(good.stdout, /flows OK: 3 files/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
