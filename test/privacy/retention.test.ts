import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { auth, backends, makeHub, type TestHub } from '../helpers/hub.ts';
import type { MessageStatus } from '../../src/core/types.ts';
import { Retention } from '../../src/privacy/retention.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { award, code, deliveryStatus, ingest, person, privacyConfig, type Ingested } from './helpers.ts';

const DAY = 24 * 3600 * 1000;

for (const backend of backends()) {
  describe(`retention of raw payloads (${backend})`, () => {
    let t: TestHub;
    let p: Ingested;
    let a: Ingested;
    let rejected: Ingested;
    before(async () => {
      t = await makeHub({ backend, config: privacyConfig({ privacy: { retention: { rawPayloadDays: 30, entities: { person: 2 } } } }) });
      p = await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU400001', code(2003, 1, 2, 808)));
      a = await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-41', 'RTU400001'));
      rejected = await ingest(t, 'rtu-push', 'person', { ...person('rtu.lv', 'RTU400002', undefined), givenNames: '' }, 'rejected');
      await deliveryStatus(t, p.messageId, 'archive', ['delivered']);
      await deliveryStatus(t, a.messageId, 'archive', ['delivered']);
    });
    after(async () => {
      await t?.stop();
    });

    it('keeps raw payloads for the configured days per entity, then reduces messages to metadata', async () => {
      assert.deepEqual((await t.hub.privacy.tick({ now: Date.now() + DAY })).reduced, {});
      const soon = await t.hub.privacy.tick({ now: Date.now() + 3 * DAY });
      assert.deepEqual(soon.reduced, { person: 2 });
      for (const id of [p.messageId, rejected.messageId]) {
        const m = await t.hub.store.getMessage(id);
        assert.equal(m?.raw, null);
        assert.equal(m?.canonical, null);
        assert.ok(m!.rawSize > 0, 'the size stays');
        const h = await t.hub.store.messageHistory(id);
        assert.match(h[h.length - 1]!.detail ?? '', /raw payload removed after the retention time of 2 days/);
      }
      assert.equal((await t.hub.store.getMessage(rejected.messageId))?.status, 'rejected');
      assert.equal((await t.hub.store.getMessage(p.messageId))?.status, 'delivered');
      assert.notEqual((await t.hub.store.getMessage(a.messageId))?.raw, null, 'awards are kept 30 days');
      // The canonical record is the hub's data, not an input copy: it stays.
      const rec = await request(t.app).get(`/api/v1/records/person/${p.recordId}`).set(auth).expect(200);
      assert.equal(rec.body.record.familyName, 'Zvaigzne');
      const later = await t.hub.privacy.tick({ now: Date.now() + 31 * DAY });
      assert.deepEqual(later.reduced, { award: 1 });
      assert.equal((await t.hub.store.getMessage(a.messageId))?.raw, null);
      assert.deepEqual((await t.hub.privacy.tick({ now: Date.now() + 31 * DAY })).reduced, {}, 'nothing twice');
    });
  });
}

describe('retention, page by page', () => {
  it('looks at the messages of an entity a page at a time, in id order whatever the ids, and reduces every due one but those in flight, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-retention-'));
    const store = new SqliteStore(join(dir, 'hub.sqlite'));
    try {
      await store.migrate();
      const add = (id: string, entity: string, status: MessageStatus) =>
        store.insertMessage({ id, sourceId: 's', entity, institution: 'lu.lv', contentType: 'application/json', raw: '{"a":1}', rawSize: 7, idempotencyKey: null, status });
      // Ids of any form (not only UUIDv7): pages follow their order.
      const persons: [string, MessageStatus][] = [
        ['a1', 'delivered'],
        ['b2', 'received'],
        ['c3', 'rejected'],
        ['d4', 'delivered'],
        ['e5', 'validated'],
        ['f6', 'delivered'],
        ['zz', 'dead'],
      ];
      for (const [id, status] of persons) await add(id, 'person', status);
      await add('m9', 'award', 'delivered');
      const retention = new Retention(store.sql, { rawPayloadDays: 30, entities: { award: 60 } }, ['person', 'award'], 2);
      assert.deepEqual(await retention.run(Date.now() + 10 * DAY), {}, 'nothing due yet');
      assert.deepEqual(await retention.run(Date.now() + 31 * DAY), { person: 5 });
      for (const [id, status] of persons) assert.equal((await store.getMessage(id))!.raw === null, !['received', 'validated'].includes(status), `${id} (${status})`);
      assert.notEqual((await store.getMessage('m9'))!.raw, null, 'awards are kept 60 days');
      assert.deepEqual(await retention.run(Date.now() + 31 * DAY), {}, 'nothing twice');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
