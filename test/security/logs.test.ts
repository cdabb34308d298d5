import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import request from 'supertest';
import { adapters } from '../../adapters/index.ts';
import type { AdapterRegistry, SinkType } from '../../src/core/adapter.ts';
import { SinkRejectedError } from '../../src/core/errors.ts';
import { generateEwpKey } from '../../src/ewp/security/keys.ts';
import { createLogger, MAX_LOG_LINE_BYTES } from '../../src/observability/logger.ts';
import { auth, backends, baseConfig, canonicalPerson, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { LU, VU } from '../ewp/helpers/data.ts';
import { ewpCall, ewpConfig, listen, rawRequest, TestRegistry } from '../ewp/helpers/ewp.ts';

/** A logger writing into an array, as the hub's CLI creates it (createLogger), at info level. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger('info', stream as unknown as Parameters<typeof createLogger>[1]), text: () => lines.join('') };
}

function assertLinesBounded(lines: string[]): void {
  for (const l of lines) {
    assert.ok(Buffer.byteLength(l) <= MAX_LOG_LINE_BYTES, `a log line of ${Buffer.byteLength(l)} bytes: ${l.slice(0, 200)}`);
    JSON.parse(l);
  }
}

const CODE = '010101-10006';
/** The record's personal code as receivers write it, and a code of the new form. */
const SPELLINGS = ['010101-10006', '010101 10006', '01010110006', '010101 - 10006', '321234-56789', '32123456789', '321234 56789'];
const NAMES = ['Anna', 'Liepiņa', 'LIEPIŅA', 'Liepina', 'Anna Marija'];

/** A sink that refuses every delivery with the text the test sets (a register quoting the record back). */
const answer = { text: '' };
const refusingSink: SinkType = {
  type: 'refusing',
  description: 'test sink: refuses with a scripted text',
  optionsSchema: { type: 'object' },
  create: () => ({
    deliver: async () => {
      throw new SinkRejectedError(answer.text);
    },
  }),
};
const registry: AdapterRegistry = { sinks: [...adapters.sinks, refusingSink], sources: adapters.sources };

for (const backend of backends()) {
  describe(`security: personal data and length of log lines (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;
    let log: ReturnType<typeof capture>;
    before(async () => {
      log = capture();
      t = await makeHub({
        backend,
        logger: log.logger,
        adapters: registry,
        config: baseConfig({
          sinks: [{ id: 'register', type: 'refusing', options: {} }],
          routes: [{ id: 'to-register', sink: 'register', match: { entities: ['person'] }, legalBasis: 'public-task', purpose: 'test register', retry: { maxAttempts: 2, initialDelayMs: 20 } }],
        }),
      });
    });
    after(async () => {
      await t?.stop();
    });

    const deliverAndDie = async (n: number) => {
      const person = canonicalPerson(n, {
        givenNames: 'Anna Marija',
        familyName: 'Liepiņa',
        identifiers: [
          { scheme: 'student-number', value: `RTU${String(n).padStart(6, '0')}` },
          { scheme: 'lv-personas-kods', value: CODE },
        ],
      });
      const res = await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).send(person).expect(202);
      const messageId = res.body.messages[0].messageId as string;
      const line = await eventually(async () => log.lines.find((l) => l.includes('delivery dead-lettered') && l.includes(messageId)), 15_000, 'the dead-letter log line');
      const m = (await request(t.app).get(`/api/v1/messages/${messageId}`).set(auth).expect(200)).body as { deliveries: { attempts: { error: string | null }[] }[] };
      return { line, stored: m.deliveries[0]!.attempts.at(-1)!.error ?? '' };
    };

    it("scrubs a sink's error text of the personal code in every spacing and of the person's names before logging it", async () => {
      answer.text = `rejected person Anna Liepiņa (code ${SPELLINGS[1]}); also known as LIEPIŅA Anna Marija / Liepina, ids ${SPELLINGS.join(', ')}, code:${SPELLINGS[2]}`;
      const { line, stored } = await deliverAndDie(1);
      for (const s of [...SPELLINGS, ...NAMES]) assert.ok(!line.includes(s), `'${s}' in the log: ${line}`);
      assert.match(line, /rejected person \[redacted\] \[redacted\] \(code \[personal-code\]\)/);
      assert.ok(!log.text().includes('Liepiņa') && !log.text().includes('10006'), 'no line of the whole log names the person');
      // The attempt keeps the sink's own words for admins (the store is not a log).
      assert.match(stored, /rejected person Anna Liepiņa \(code 010101 10006\)/);
      assertLinesBounded(log.lines);
    });

    it("cuts a sink's 100 KB error text: the log line stays under the fixed length, the attempt keeps a bounded text", async () => {
      answer.text = `refused: ${'x'.repeat(100_000)} 010101-10006 Liepiņa`;
      const { line, stored } = await deliverAndDie(2);
      assert.ok(Buffer.byteLength(line) <= MAX_LOG_LINE_BYTES);
      assert.ok(!line.includes('x'.repeat(1000)), 'the text is cut');
      assert.ok(stored.length < 4100, `stored ${stored.length} characters`);
      assertLinesBounded(log.lines);
    });
  });

  describe(`security: EWP notification ids are bounded (${backend})`, function () {
    this.timeout(60_000);
    let registryServer: TestRegistry;
    let t: TestHub;
    let l: Awaited<ReturnType<typeof listen>>;
    let log: ReturnType<typeof capture>;
    const vuKey = generateEwpKey();
    const PUBLIC = `https://ewp.hub.example/ewp/${LU}`;

    before(async () => {
      registryServer = await new TestRegistry().start();
      l = await listen();
      log = capture();
      t = await makeHub({ backend, logger: log.logger, config: ewpConfig({ hei: LU, name: 'LU', baseUrl: PUBLIC, registryUrl: registryServer.url }) });
      l.server.on('request', t.app);
      const manifest = (await rawRequest(new URL(`${l.url}/ewp/${LU}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body;
      registryServer.build([manifest], [{ heis: [VU], clientKeys: [vuKey] }]);
    });
    after(async () => {
      await l?.close();
      await t?.stop();
      await registryServer?.close();
    });

    it('refuses a 100 KB notification id with 400, queues nothing and logs no line longer than the limit', async () => {
      const id = 'x'.repeat(100_000);
      for (const [path, params] of [
        ['iia-cnr', [['iia_id', id]]],
        [
          'omobility-cnr',
          [
            ['omobility_id', 'ok-1'],
            ['omobility_id', id],
          ],
        ],
        ['imobility-tor-cnr', [['omobility_id', 'has space']]],
      ] as const) {
        const res = await ewpCall({ url: `${PUBLIC}/${path}`, connect: l.url, key: vuKey, params: params as unknown as [string, string][] });
        assert.equal(res.status, 400, `${path}: ${res.body.slice(0, 300)}`);
        assert.match(res.body, /must be an EWP identifier/);
        assert.ok(res.body.length < 2000, 'the id is not echoed');
      }
      assert.deepEqual(await t.hub.ewp!.inbox.pending(), []);
      // A valid id still goes through.
      const ok = await ewpCall({ url: `${PUBLIC}/iia-cnr`, connect: l.url, key: vuKey, params: [['iia_id', 'vu-iia-1']] });
      assert.equal(ok.status, 200, ok.body);
      assert.ok(!log.text().includes('x'.repeat(1000)), 'the id is not logged');
      assertLinesBounded(log.lines);
    });
  });
}

describe('security: the log itself', () => {
  it('keeps hub ids (UUIDs) whole, even when eleven of their hex digits look like a personal code', () => {
    const log = capture();
    // A UUIDv7's last group is random hex: about one id in a hundred holds a run of eleven decimal digits.
    const id = '01a23ea0-86be-7628-a465-01010110006e';
    log.logger.warn({ messageId: id }, `delivery of ${id} dead-lettered: code ${SPELLINGS[0]}`);
    const line = log.lines[0]!;
    assert.equal(line.split(id).length, 3, 'the id in the field and in the message, whole');
    assert.ok(!line.includes(SPELLINGS[0]!), 'the code itself is still replaced');
  });

  it('no line exceeds the fixed length, whatever is logged; personal codes are replaced in every string, any spacing', () => {
    const log = capture();
    const big = 'y'.repeat(100_000);
    log.logger.warn({ objectId: big, nested: { deeper: { text: `code ${SPELLINGS[1]}` } }, list: SPELLINGS }, `partner said ${SPELLINGS[0]}: %s`, big);
    log.logger.error(new Error(`failed for ${SPELLINGS[2]} ${big}`));
    log.logger.info({ err: new Error(`x ${SPELLINGS[4]}`) });
    log.logger.info({ many: Array.from({ length: 5000 }, (_, i) => `field ${i} ${'ā'.repeat(50)}`), when: new Date(0), size: 12345678901 });
    log.logger.info(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, 'z'.repeat(1000)])), 'wide');
    assert.equal(log.lines.length, 5);
    assertLinesBounded(log.lines);
    const text = log.text();
    for (const s of SPELLINGS) assert.ok(!text.includes(s), `'${s}' in the log`);
    assert.ok(!text.includes('y'.repeat(3000)));
    assert.equal(JSON.parse(log.lines[3]!).when, '1970-01-01T00:00:00.000Z');
    assert.ok(text.includes('12345678901'), 'numbers that are not in strings are left alone');
    assert.ok(JSON.parse(log.lines[4]!).truncated > MAX_LOG_LINE_BYTES, 'a cut line says how long it was');
  });
});
