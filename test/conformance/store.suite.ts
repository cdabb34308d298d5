import assert from 'node:assert/strict';
import { uuidv7 } from '../../src/core/ids.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { CLAIM_TIMEOUT_MS } from '../../src/store/claims.ts';
import type { AttemptOutcome, CommitInput, NewMessage, Store } from '../../src/store/types.ts';

/** What a store implementation hands the suite: a fresh, empty store, and how to get rid of it. */
export interface StoreFixture {
  store: Store;
  cleanup: () => Promise<void>;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * The Store contract (src/store/types.ts), run against every implementation. Each test gets a
 * fresh store from make(), migrated by the suite.
 */
export function storeConformance(name: string, make: () => Promise<StoreFixture>): void {
  describe(`Store conformance: ${name}`, function () {
    this.timeout(20_000);
    let fx: StoreFixture | undefined;
    let store: Store;
    let clock = Date.now();
    /** Message ids that sort in creation order (uuidv7 of strictly increasing times). */
    const nextId = () => uuidv7(++clock);

    beforeEach(async () => {
      fx = await make();
      store = fx.store;
      await store.migrate();
    });
    afterEach(async () => {
      const f = fx;
      fx = undefined;
      if (f) {
        await f.store.close();
        await f.cleanup();
      }
    });

    const msg = (over: Partial<NewMessage> = {}): NewMessage => ({
      id: nextId(),
      sourceId: 'lu-lais',
      entity: 'person',
      institution: 'lu.lv',
      contentType: 'application/json',
      raw: '{"id":"s1"}',
      rawSize: 11,
      idempotencyKey: null,
      status: 'received',
      ...over,
    });

    const input = (messageId: string, localId: string, data: JsonObject, over: Partial<CommitInput> = {}): CommitInput => ({
      messageId,
      entity: 'person',
      institution: 'lu.lv',
      sourceSystem: 'lais',
      sourceId: localId,
      source: 'lu-lais',
      sourceUpdatedAt: null,
      data,
      op: 'upsert',
      schemaVersion: '1.0.0',
      ...over,
    });

    /** Inserts a message and commits one record for it; returns both results. */
    async function ingest(localId: string, data: JsonObject, over: Partial<CommitInput> = {}) {
      const { message } = await store.insertMessage(msg());
      const result = await store.commit(input(message.id, localId, data, over));
      return { message, result };
    }

    /** A committed and published event with deliveries for the given routes. */
    async function published(routeIds: string[]) {
      const { message, result } = await ingest(`s-${nextId()}`, { givenNames: 'Anna' });
      const event = result.event!;
      await store.markPublished([{ eventId: event.eventId, messageId: message.id, routeIds }]);
      return { message, event };
    }

    describe('lifecycle', () => {
      it('migrates twice without harm and answers ping', async () => {
        await store.migrate();
        await store.ping();
        assert.equal(typeof store.kind, 'string');
      });
    });

    describe('messages', () => {
      it('insertMessage stores the raw message and reads it back', async () => {
        const m = msg({ errors: [{ path: '/x', message: 'bad' }], errorCode: 'E1', errorDetail: 'detail' });
        const { message, duplicate } = await store.insertMessage(m);
        assert.equal(duplicate, false);
        assert.equal(message.id, m.id);
        assert.equal(message.sourceId, 'lu-lais');
        assert.equal(message.entity, 'person');
        assert.equal(message.institution, 'lu.lv');
        assert.equal(message.status, 'received');
        assert.equal(message.contentType, 'application/json');
        assert.equal(message.raw, '{"id":"s1"}');
        assert.equal(message.rawSize, 11);
        assert.equal(message.canonical, null);
        assert.deepEqual(message.errors, [{ path: '/x', message: 'bad' }]);
        assert.equal(message.errorCode, 'E1');
        assert.equal(message.errorDetail, 'detail');
        assert.equal(message.recordId, null);
        assert.equal(message.recordVersion, null);
        assert.equal(message.eventId, null);
        assert.equal(message.businessKey, null);
        assert.match(message.createdAt, ISO);
        assert.match(message.updatedAt, ISO);
        assert.deepEqual(await store.getMessage(m.id), message);
        assert.equal(await store.getMessage('no-such-id'), undefined);
      });

      it('stores a message without raw payload or institution', async () => {
        const { message } = await store.insertMessage(msg({ raw: null, rawSize: 0, institution: null, contentType: null }));
        assert.equal(message.raw, null);
        assert.equal(message.institution, null);
        assert.equal(message.contentType, null);
        assert.deepEqual(message.errors, []);
      });

      it('insertMessage is idempotent by key: the same key returns the first message as a duplicate', async () => {
        const first = await store.insertMessage(msg({ idempotencyKey: 'k1' }));
        const second = await store.insertMessage(msg({ idempotencyKey: 'k1', raw: 'other' }));
        assert.equal(first.duplicate, false);
        assert.equal(second.duplicate, true);
        assert.equal(second.message.id, first.message.id);
        assert.equal(second.message.raw, '{"id":"s1"}');
        assert.deepEqual(await store.countMessagesByStatus(), { received: 1 });
      });

      it('concurrent inserts with one key store one message', async () => {
        const results = await Promise.all(Array.from({ length: 5 }, () => store.insertMessage(msg({ idempotencyKey: 'same' }))));
        assert.equal(new Set(results.map((r) => r.message.id)).size, 1);
        assert.equal(results.filter((r) => !r.duplicate).length, 1);
      });

      it('messages without a key are never duplicates', async () => {
        const a = await store.insertMessage(msg());
        const b = await store.insertMessage(msg());
        assert.equal(a.duplicate || b.duplicate, false);
        assert.notEqual(a.message.id, b.message.id);
      });

      it('updateMessage patches fields and records each status change in the history', async () => {
        const { message } = await store.insertMessage(msg());
        await store.updateMessage(message.id, { status: 'mapped', canonical: { sourceId: 's1', givenNames: 'Anna' }, businessKey: 'person:s1' });
        await store.updateMessage(message.id, { institution: 'rtu.lv' });
        await store.updateMessage(message.id, {
          status: 'rejected',
          errors: [{ path: '/givenNames', message: 'required', keyword: 'required' }],
          errorCode: 'HUB_ERR_SCHEMA_VALIDATION',
          errorDetail: 'invalid',
        });
        await store.updateMessage(message.id, { status: 'received' }, 'replayed by admin');
        const m = (await store.getMessage(message.id))!;
        assert.equal(m.status, 'received');
        assert.deepEqual(m.canonical, { sourceId: 's1', givenNames: 'Anna' });
        assert.equal(m.businessKey, 'person:s1');
        assert.equal(m.institution, 'rtu.lv');
        assert.deepEqual(m.errors, [{ path: '/givenNames', message: 'required', keyword: 'required' }]);
        assert.equal(m.errorCode, 'HUB_ERR_SCHEMA_VALIDATION');
        assert.ok(m.updatedAt >= message.updatedAt);
        const h = await store.messageHistory(message.id);
        assert.deepEqual(
          h.map((x) => [x.status, x.detail]),
          [
            ['received', null],
            ['mapped', null],
            ['rejected', 'invalid'],
            ['received', 'replayed by admin'],
          ],
        );
        for (const x of h) assert.match(x.at, ISO);
        await store.updateMessage(message.id, { canonical: null, errorCode: null, errorDetail: null });
        const cleared = (await store.getMessage(message.id))!;
        assert.equal(cleared.canonical, null);
        assert.equal(cleared.errorCode, null);
        assert.equal(cleared.errorDetail, null);
      });

      it('idempotencyKey null frees the key: the same input is taken again', async () => {
        const first = await store.insertMessage(msg({ idempotencyKey: 'k2' }));
        await store.updateMessage(first.message.id, { status: 'rejected', idempotencyKey: null });
        const again = await store.insertMessage(msg({ idempotencyKey: 'k2' }));
        assert.equal(again.duplicate, false);
        assert.notEqual(again.message.id, first.message.id);
        const third = await store.insertMessage(msg({ idempotencyKey: 'k2' }));
        assert.equal(third.duplicate, true);
        assert.equal(third.message.id, again.message.id);
      });

      it('listMessages filters, orders newest first and pages with before', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) {
          const { message } = await store.insertMessage(msg({ sourceId: i % 2 ? 'rtu-push' : 'lu-lais', entity: i < 3 ? 'person' : 'course', institution: i % 2 ? 'rtu.lv' : 'lu.lv' }));
          ids.push(message.id);
        }
        await store.updateMessage(ids[4]!, { status: 'rejected' });
        const all = await store.listMessages({ limit: 100 });
        assert.deepEqual(
          all.map((m) => m.id),
          [...ids].reverse(),
        );
        assert.deepEqual(
          (await store.listMessages({ limit: 2 })).map((m) => m.id),
          [ids[5], ids[4]],
        );
        assert.deepEqual(
          (await store.listMessages({ limit: 2, before: ids[4]! })).map((m) => m.id),
          [ids[3], ids[2]],
        );
        assert.deepEqual(
          (await store.listMessages({ limit: 10, before: ids[1]! })).map((m) => m.id),
          [ids[0]],
        );
        assert.deepEqual(
          (await store.listMessages({ limit: 10, status: 'rejected' })).map((m) => m.id),
          [ids[4]],
        );
        assert.deepEqual(
          (await store.listMessages({ limit: 10, sourceId: 'rtu-push' })).map((m) => m.id),
          [ids[5], ids[3], ids[1]],
        );
        assert.deepEqual(
          (await store.listMessages({ limit: 10, entity: 'person', institution: 'lu.lv' })).map((m) => m.id),
          [ids[2], ids[0]],
        );
        assert.deepEqual(
          (await store.listMessages({ limit: 10, entity: 'course', status: 'received' })).map((m) => m.id),
          [ids[5], ids[3]],
        );
        const createdAt = all.find((m) => m.id === ids[0])!.createdAt;
        assert.equal((await store.listMessages({ limit: 10, since: createdAt })).length, 6);
        assert.equal((await store.listMessages({ limit: 10, since: new Date(Date.now() + 60_000).toISOString() })).length, 0);
        // A summary leaves the payloads out and says the rest as the full row does.
        const [full] = await store.listMessages({ limit: 1 });
        const [summary] = await store.listMessages({ limit: 1, summaryOnly: true });
        assert.equal(full!.raw, '{"id":"s1"}');
        assert.deepEqual(summary, { ...full!, raw: null, canonical: null, errors: [] });
      });

      it('countMessagesByStatus counts every status', async () => {
        assert.deepEqual(await store.countMessagesByStatus(), {});
        for (let i = 0; i < 3; i++) await store.insertMessage(msg());
        await store.insertMessage(msg({ status: 'rejected' }));
        assert.deepEqual(await store.countMessagesByStatus(), { received: 3, rejected: 1 });
      });
    });

    describe('commit', () => {
      it('creates a record: id and version assigned into the data, an outbox event, the message committed', async () => {
        const { message, result } = await ingest('s1', { sourceId: 's1', givenNames: 'Anna' });
        assert.equal(result.outcome, 'created');
        const rec = result.record;
        assert.equal(rec.version, 1);
        assert.equal(rec.entity, 'person');
        assert.equal(rec.institution, 'lu.lv');
        assert.equal(rec.sourceSystem, 'lais');
        assert.equal(rec.sourceId, 's1');
        assert.equal(rec.deleted, false);
        assert.equal(rec.sourceUpdatedAt, null);
        assert.match(rec.updatedAt, ISO);
        assert.deepEqual(rec.data, { sourceId: 's1', givenNames: 'Anna', id: rec.id, version: 1 });
        const e = result.event!;
        assert.ok(e);
        assert.equal(e.seq, rec.seq);
        assert.ok(e.seq > 0);
        assert.equal(e.entity, 'person');
        assert.equal(e.op, 'upsert');
        assert.equal(e.schemaVersion, '1.0.0');
        assert.equal(e.source, 'lu-lais');
        assert.equal(e.institution, 'lu.lv');
        assert.equal(e.recordId, rec.id);
        assert.equal(e.version, 1);
        assert.equal(e.messageId, message.id);
        assert.match(e.occurredAt, ISO);
        assert.deepEqual(e.record, rec.data);
        assert.deepEqual(await store.getRecord('person', rec.id), rec);
        assert.equal(await store.getRecord('course', rec.id), undefined);
        assert.deepEqual(await store.getRecordVersion(rec.id, 1), rec.data);
        assert.equal(await store.getRecordVersion(rec.id, 2), undefined);
        assert.deepEqual(await store.getEvent(e.eventId), e);
        const m = (await store.getMessage(message.id))!;
        assert.equal(m.status, 'committed');
        assert.equal(m.recordId, rec.id);
        assert.equal(m.recordVersion, 1);
        assert.equal(m.eventId, e.eventId);
        assert.deepEqual(
          (await store.messageHistory(message.id)).map((h) => h.status),
          ['received', 'committed'],
        );
      });

      it('updates a record: same id, next version, larger seq, both versions kept', async () => {
        const a = (await ingest('s1', { givenNames: 'Anna' })).result;
        const { message, result: b } = await ingest('s1', { givenNames: 'Anna Marija' });
        assert.equal(b.outcome, 'updated');
        assert.equal(b.record.id, a.record.id);
        assert.equal(b.record.version, 2);
        assert.ok(b.event!.seq > a.event!.seq);
        assert.equal(b.record.seq, b.event!.seq);
        assert.deepEqual(b.record.data, { givenNames: 'Anna Marija', id: a.record.id, version: 2 });
        assert.deepEqual(await store.getRecordVersion(a.record.id, 1), { givenNames: 'Anna', id: a.record.id, version: 1 });
        assert.deepEqual(await store.getRecordVersion(a.record.id, 2), b.record.data);
        assert.equal((await store.getMessage(message.id))!.recordVersion, 2);
      });

      it('keeps records apart by natural key (entity, institution, source system, local id)', async () => {
        const a = (await ingest('s1', { x: 1 })).result;
        const b = (await ingest('s1', { x: 1 }, { institution: 'rtu.lv' })).result;
        const c = (await ingest('s1', { x: 1 }, { entity: 'course' })).result;
        const d = (await ingest('s1', { x: 1 }, { sourceSystem: 'isis' })).result;
        assert.deepEqual(
          [a, b, c, d].map((r) => r.outcome),
          ['created', 'created', 'created', 'created'],
        );
        assert.equal(new Set([a, b, c, d].map((r) => r.record.id)).size, 4);
      });

      it('same content again: unchanged, no new version, no event', async () => {
        const a = (await ingest('s1', { givenNames: 'Anna', identifiers: [{ a: 1, b: 2 }] })).result;
        const before = await store.pendingOutbox(100);
        // Same content, keys in another order.
        const { message, result: b } = await ingest('s1', { identifiers: [{ b: 2, a: 1 }], givenNames: 'Anna' });
        assert.equal(b.outcome, 'unchanged');
        assert.equal(b.event, undefined);
        assert.equal(b.record.version, 1);
        assert.equal(b.record.id, a.record.id);
        assert.equal(b.record.seq, a.record.seq);
        assert.deepEqual(await store.pendingOutbox(100), before);
        assert.equal((await store.getRecord('person', a.record.id))!.version, 1);
        assert.equal(await store.getRecordVersion(a.record.id, 2), undefined);
        const m = (await store.getMessage(message.id))!;
        assert.equal(m.status, 'unchanged');
        assert.equal(m.recordId, a.record.id);
        assert.equal(m.recordVersion, 1);
        assert.equal(m.eventId, null);
        assert.deepEqual(
          (await store.messageHistory(message.id)).map((h) => h.status),
          ['received', 'unchanged'],
        );
      });

      it('an older source timestamp is stale: the record is not overwritten', async () => {
        const a = (await ingest('s1', { givenNames: 'Anna' }, { sourceUpdatedAt: '2024-05-01T10:00:00.000Z' })).result;
        assert.equal(a.record.sourceUpdatedAt, '2024-05-01T10:00:00.000Z');
        const { message, result: b } = await ingest('s1', { givenNames: 'Old' }, { sourceUpdatedAt: '2024-04-01T10:00:00.000Z' });
        assert.equal(b.outcome, 'stale');
        assert.equal(b.event, undefined);
        assert.equal(b.record.version, 1);
        const rec = (await store.getRecord('person', a.record.id))!;
        assert.equal(rec.version, 1);
        assert.equal(rec.data.givenNames, 'Anna');
        assert.equal(rec.sourceUpdatedAt, '2024-05-01T10:00:00.000Z');
        const m = (await store.getMessage(message.id))!;
        assert.equal(m.status, 'stale');
        assert.equal(m.recordId, a.record.id);
        assert.equal(m.recordVersion, 1);
        // A newer timestamp, and one without a timestamp, are taken.
        const c = (await ingest('s1', { givenNames: 'New' }, { sourceUpdatedAt: '2024-06-01T10:00:00.000Z' })).result;
        assert.equal(c.outcome, 'updated');
        assert.equal(c.record.sourceUpdatedAt, '2024-06-01T10:00:00.000Z');
        const d = (await ingest('s1', { givenNames: 'Newer' })).result;
        assert.equal(d.outcome, 'updated');
        assert.equal(d.record.sourceUpdatedAt, '2024-06-01T10:00:00.000Z');
      });

      it('a delete is a new version with an event without record', async () => {
        const a = (await ingest('s1', { givenNames: 'Anna' })).result;
        const b = (await ingest('s1', { givenNames: 'Anna' }, { op: 'delete' })).result;
        assert.equal(b.outcome, 'updated');
        assert.equal(b.record.deleted, true);
        assert.equal(b.record.version, 2);
        assert.equal(b.event!.op, 'delete');
        assert.equal(b.event!.record, undefined);
        assert.equal(b.event!.recordId, a.record.id);
        // The event carries no record; the version's data is kept all the same.
        assert.deepEqual(await store.getRecordVersion(a.record.id, 2), b.record.data);
        assert.deepEqual(await store.getRecordVersion(a.record.id, 1), a.record.data);
        const c = (await ingest('s1', { givenNames: 'Anna' }, { op: 'delete' })).result;
        assert.equal(c.outcome, 'unchanged');
      });

      it('sequence numbers increase with every change', async () => {
        const seqs: number[] = [];
        for (let i = 0; i < 5; i++) seqs.push((await ingest(`s${i % 2}`, { n: i })).result.event!.seq);
        for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1);
      });

      it('20 concurrent commits of different records get 20 distinct consecutive sequence numbers', async () => {
        const messages = await Promise.all(Array.from({ length: 20 }, () => store.insertMessage(msg())));
        const results = await Promise.all(messages.map(({ message }, i) => store.commit(input(message.id, `c${i}`, { n: i }))));
        const seqs = results.map((r) => r.event!.seq).sort((a, b) => a - b);
        assert.equal(new Set(seqs).size, 20);
        assert.equal(seqs[19]! - seqs[0]!, 19);
        assert.ok(results.every((r) => r.outcome === 'created'));
        const outbox = await store.pendingOutbox(100);
        assert.deepEqual(
          outbox.map((e) => e.seq),
          seqs,
        );
      });

      it('10 concurrent commits of one natural key give versions 1..10 without errors', async () => {
        const messages = await Promise.all(Array.from({ length: 10 }, () => store.insertMessage(msg())));
        const results = await Promise.all(messages.map(({ message }, i) => store.commit(input(message.id, 'same', { n: i }))));
        assert.deepEqual(
          results.map((r) => r.record.version).sort((a, b) => a - b),
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        );
        assert.equal(results.filter((r) => r.outcome === 'created').length, 1);
        assert.equal(new Set(results.map((r) => r.record.id)).size, 1);
        const id = results[0]!.record.id;
        const rec = (await store.getRecord('person', id))!;
        assert.equal(rec.version, 10);
        // The last version holds the data of the commit with the largest seq.
        const last = results.reduce((a, b) => (a.event!.seq > b.event!.seq ? a : b));
        assert.equal(last.record.version, 10);
        assert.deepEqual(rec.data, last.record.data);
        for (let v = 1; v <= 10; v++) assert.ok(await store.getRecordVersion(id, v), `version ${v} kept`);
        const seqs = results.map((r) => r.event!.seq).sort((a, b) => a - b);
        assert.equal(new Set(seqs).size, 10);
      });
    });

    describe('ingestBatch', () => {
      const commitOutcome = (localId: string, data: JsonObject, over: Partial<CommitInput> = {}) => {
        const { messageId: _unused, ...commit } = input('', localId, data, over);
        return { kind: 'commit' as const, canonical: data, businessKey: localId, commit };
      };
      const reject = {
        kind: 'reject' as const,
        canonical: { sourceId: 'bad' },
        businessKey: 'bad',
        errorCode: 'HUB_ERR_SCHEMA_VALIDATION',
        errorDetail: 'does not match',
        errors: [{ path: '/birthDate', message: 'must match format "date"' }],
      };

      it('stores, rejects and commits each item in order, with the history one call at a time would leave', async () => {
        const items = [
          { message: msg({ idempotencyKey: 'k1' }), outcome: commitOutcome('b1', { givenNames: 'Anna' }) },
          { message: msg({ idempotencyKey: 'k2' }), outcome: reject },
          { message: msg({ idempotencyKey: 'k3' }), outcome: commitOutcome('b1', { givenNames: 'Anna Marija' }) },
        ];
        const results = await store.ingestBatch(items);
        assert.deepEqual(
          results.map((r) => [r.messageId, r.duplicate]),
          items.map((i) => [i.message.id, false]),
        );
        const [first, rejected, second] = results;
        assert.ok(first && !first.duplicate && first.commit?.event && second && !second.duplicate && second.commit?.event);
        assert.equal(first.commit.outcome, 'created');
        assert.equal(second.commit.outcome, 'updated');
        assert.equal(second.commit.record.id, first.commit.record.id);
        assert.equal(second.commit.record.version, 2);
        assert.ok(second.commit.event!.seq > first.commit.event!.seq);
        const record = await store.getRecord('person', first.commit.record.id);
        assert.equal(record!.version, 2);
        assert.equal(record!.seq, second.commit.event!.seq);
        assert.deepEqual(record!.data, { givenNames: 'Anna Marija', id: record!.id, version: 2 });

        const m1 = await store.getMessage(items[0]!.message.id);
        assert.equal(m1!.status, 'committed');
        assert.deepEqual(m1!.canonical, { givenNames: 'Anna' });
        assert.equal(m1!.eventId, first.commit.event!.eventId);
        assert.deepEqual(
          (await store.messageHistory(m1!.id)).map((h) => h.status),
          ['received', 'validated', 'committed'],
        );
        // Routes are matched once, by the relay: a commit writes no delivery rows (markPublished does).
        assert.deepEqual(await store.listDeliveries(m1!.id), []);

        assert.ok(rejected && !rejected.duplicate && rejected.commit === undefined);
        const m2 = await store.getMessage(items[1]!.message.id);
        assert.equal(m2!.status, 'rejected');
        assert.equal(m2!.raw, '{"id":"s1"}');
        assert.equal(m2!.errorCode, 'HUB_ERR_SCHEMA_VALIDATION');
        assert.deepEqual(m2!.errors, reject.errors);
        assert.deepEqual(m2!.canonical, { sourceId: 'bad' });
        assert.deepEqual(
          (await store.messageHistory(m2!.id)).map((h) => h.status),
          ['received', 'rejected'],
        );
        assert.deepEqual(
          (await store.pendingOutbox(10)).map((e) => e.eventId),
          [first.commit.event!.eventId, second.commit.event!.eventId],
        );
      });

      it('a version is its change: a deletion in a batch keeps its data, read back with every version before it', async () => {
        const results = await store.ingestBatch([
          { message: msg(), outcome: commitOutcome('v1', { givenNames: 'Anna' }) },
          { message: msg(), outcome: commitOutcome('v1', { givenNames: 'Anna' }, { op: 'delete' }) },
        ]);
        const [created, deleted] = results.map((r) => {
          assert.ok(!r.duplicate && r.commit);
          return r.commit;
        });
        assert.equal(deleted!.event!.record, undefined);
        assert.deepEqual(await store.getRecordVersion(created!.record.id, 1), { givenNames: 'Anna', id: created!.record.id, version: 1 });
        assert.deepEqual(await store.getRecordVersion(created!.record.id, 2), { givenNames: 'Anna', id: created!.record.id, version: 2 });
        assert.deepEqual(await store.getRecordVersion(created!.record.id, 2), deleted!.record.data);
      });

      it('writes the trail once: per committed record the message, the record, its version and its change; the history derived as the one-record path writes it', async () => {
        const rows = async () => {
          const n: Record<string, number> = {};
          for (const t of ['messages', 'message_history', 'records', 'changes']) n[t] = Number((await store.sql.query(`SELECT COUNT(*) AS n FROM ${t}`))[0]!.n);
          return n;
        };
        const before = await rows();
        const [lean] = await store.ingestBatch([{ message: msg({ idempotencyKey: 'once' }), outcome: commitOutcome('w1', { givenNames: 'Anna' }) }]);
        const after = await rows();
        assert.deepEqual(Object.fromEntries(Object.entries(after).map(([t, n]) => [t, n - before[t]!])), { messages: 1, message_history: 0, records: 1, changes: 1 });
        assert.ok(lean && !lean.duplicate && lean.commit?.event);
        const [stored] = await store.sql.query('SELECT canonical, canonical_in_version, trail FROM messages WHERE id = ?', [lean.messageId]);
        assert.equal(stored!.canonical, null);
        assert.ok(stored!.canonical_in_version);
        assert.equal(stored!.trail, 'committed');

        // The one-record path (insert, update, commit) writes history rows; both read the same.
        const { message } = await store.insertMessage(msg());
        await store.updateMessage(message.id, { status: 'validated', canonical: { givenNames: 'Berta' }, businessKey: 'w2' }, 'mapped and validated');
        const one = await store.commit(input(message.id, 'w2', { givenNames: 'Berta' }));
        const m = (await store.getMessage(lean.messageId))!;
        const o = (await store.getMessage(message.id))!;
        assert.deepEqual(m.canonical, { givenNames: 'Anna' });
        assert.deepEqual(o.canonical, { givenNames: 'Berta' });
        assert.deepEqual([m.status, m.recordId, m.recordVersion, m.eventId, m.businessKey], ['committed', lean.commit.record.id, 1, lean.commit.event.eventId, 'w1']);
        const h = await store.messageHistory(lean.messageId);
        const ho = await store.messageHistory(message.id);
        assert.deepEqual(
          h.map((x) => [x.status, x.detail]),
          [
            ['received', null],
            ['validated', 'mapped and validated'],
            ['committed', `record ${lean.commit.record.id} version 1, change ${lean.commit.event.seq}`],
          ],
        );
        assert.deepEqual(
          ho.map((x) => [x.status, x.detail]),
          [
            ['received', null],
            ['validated', 'mapped and validated'],
            ['committed', `record ${one.record.id} version 1, change ${one.event!.seq}`],
          ],
        );
        for (const x of h) assert.equal(x.at, m.createdAt);
        // The happy path of its delivery (published, delivered) is lines of the trail, not rows.
        const historyRows = async (id: string) => Number((await store.sql.query('SELECT COUNT(*) AS n FROM message_history WHERE message_id = ?', [id]))[0]!.n);
        await store.markPublished([{ eventId: lean.commit.event.eventId, messageId: lean.messageId, routeIds: [] }]);
        assert.deepEqual(
          (await store.messageHistory(lean.messageId)).map((x) => x.status),
          ['received', 'validated', 'committed', 'published'],
        );
        assert.equal(await historyRows(lean.messageId), 0);
        const [summary] = await store.listMessages({ limit: 10, before: message.id });
        assert.deepEqual(summary!.canonical, { givenNames: 'Anna' });
      });

      it('writes the happy path of a delivery once: published and delivered are lines of the trail; a retry turns the history into rows, in order', async () => {
        const historyRows = async (id: string) => (await store.sql.query('SELECT status FROM message_history WHERE message_id = ?', [id])).map((r) => String(r.status)).sort();
        const [happy, unhappy] = await store.ingestBatch([
          { message: msg(), outcome: commitOutcome('h1', { givenNames: 'Anna' }) },
          { message: msg(), outcome: commitOutcome('h2', { givenNames: 'Berta' }) },
        ]);
        assert.ok(happy && !happy.duplicate && happy.commit?.event && unhappy && !unhappy.duplicate && unhappy.commit?.event);
        const events = [happy, unhappy].map((x) => ({ eventId: x.commit!.event!.eventId, messageId: x.messageId }));
        await store.markPublished(events.map((e) => ({ ...e, routeIds: ['a', 'b'] })));
        const outcome = (eventId: string, routeId: string, attempt: number, status: 'delivered' | 'retrying'): AttemptOutcome => ({
          eventId,
          routeId,
          attempt,
          outcome: status === 'delivered' ? 'delivered' : 'retry',
          status,
          error: status === 'delivered' ? null : 'timeout',
          detail: null,
          durationMs: 1,
        });
        await store.beginAttempts(events.flatMap((e) => ['a', 'b'].map((routeId) => ({ eventId: e.eventId, routeId }))));
        await store.finishAttempts([
          outcome(events[0]!.eventId, 'a', 1, 'delivered'),
          outcome(events[0]!.eventId, 'b', 1, 'delivered'),
          outcome(events[1]!.eventId, 'a', 1, 'delivered'),
          outcome(events[1]!.eventId, 'b', 1, 'retrying'),
        ]);
        const statuses = async (id: string) => (await store.messageHistory(id)).map((x) => x.status);
        assert.deepEqual(await statuses(happy.messageId), ['received', 'validated', 'committed', 'published', 'delivered']);
        assert.deepEqual(await historyRows(happy.messageId), []);
        assert.equal((await store.getMessage(happy.messageId))!.status, 'delivered');
        const times = (await store.messageHistory(happy.messageId)).map((x) => x.at);
        assert.deepEqual([...times].sort(), times);
        // The retry: every step so far becomes a row, the retry one more, then the delivery another.
        assert.deepEqual(await statuses(unhappy.messageId), ['received', 'validated', 'committed', 'published', 'retrying']);
        assert.deepEqual(await historyRows(unhappy.messageId), ['committed', 'published', 'received', 'retrying', 'validated']);
        await store.beginAttempts([{ eventId: events[1]!.eventId, routeId: 'b' }]);
        await store.finishAttempts([outcome(events[1]!.eventId, 'b', 2, 'delivered')]);
        assert.deepEqual(await statuses(unhappy.messageId), ['received', 'validated', 'committed', 'published', 'retrying', 'delivered']);
        assert.equal((await historyRows(unhappy.messageId)).length, 6);
      });

      it('writes the trail once for rejected, unchanged and stale items; keeps the canonical copy no version holds', async () => {
        await store.ingestBatch([{ message: msg(), outcome: commitOutcome('x1', { n: 1 }, { sourceUpdatedAt: '2026-01-02T00:00:00.000Z' }) }]);
        const [bad, same, stale, own] = await store.ingestBatch([
          { message: msg({ idempotencyKey: 'r1' }), outcome: reject },
          { message: msg(), outcome: commitOutcome('x1', { n: 1 }) },
          { message: msg(), outcome: commitOutcome('x1', { n: 2 }, { sourceUpdatedAt: '2026-01-01T00:00:00.000Z' }) },
          { message: msg(), outcome: commitOutcome('x2', { id: 'mine', n: 3 }) },
        ]);
        const history = async (id: string) => (await store.messageHistory(id)).map((x) => [x.status, x.detail]);
        assert.deepEqual(await history(bad!.messageId), [
          ['received', null],
          ['rejected', 'does not match'],
        ]);
        assert.deepEqual((await store.getMessage(bad!.messageId))!.canonical, { sourceId: 'bad' });
        assert.deepEqual(await history(same!.messageId), [
          ['received', null],
          ['validated', 'mapped and validated'],
          ['unchanged', 'same content as version 1'],
        ]);
        assert.deepEqual((await store.getMessage(same!.messageId))!.canonical, { n: 1 });
        assert.deepEqual(await history(stale!.messageId), [
          ['received', null],
          ['validated', 'mapped and validated'],
          ['stale', 'source timestamp 2026-01-01T00:00:00.000Z is older than stored 2026-01-02T00:00:00.000Z (version 1)'],
        ]);
        assert.deepEqual((await store.getMessage(stale!.messageId))!.canonical, { n: 2 });
        // The commit overwrites a canonical `id`: the message keeps its own copy.
        const mine = (await store.getMessage(own!.messageId))!;
        assert.deepEqual(mine.canonical, { id: 'mine', n: 3 });
        const [row] = await store.sql.query('SELECT canonical_in_version FROM messages WHERE id = ?', [own!.messageId]);
        assert.ok(!row!.canonical_in_version);
        assert.equal(Number((await store.sql.query('SELECT COUNT(*) AS n FROM message_history'))[0]!.n), 0);

        // A replay changes the status outside the chunk: the derived history becomes rows first, in order.
        await store.updateMessage(bad!.messageId, { status: 'received', errors: [], errorCode: null, errorDetail: null }, 'replay');
        assert.deepEqual(await history(bad!.messageId), [
          ['received', null],
          ['rejected', 'does not match'],
          ['received', 'replay'],
        ]);
      });

      it('an input taken before is a duplicate; an unfinished earlier copy is finished; a rejected key is free again', async () => {
        await store.ingestBatch([
          { message: msg({ idempotencyKey: 'done' }), outcome: commitOutcome('d1', { n: 1 }) },
          { message: msg({ idempotencyKey: 'bad' }), outcome: reject },
        ]);
        const { message: unfinished } = await store.insertMessage(msg({ idempotencyKey: 'half' }));
        const again = await store.ingestBatch([
          { message: msg({ idempotencyKey: 'done' }), outcome: commitOutcome('d1', { n: 1 }) },
          { message: msg({ idempotencyKey: 'half' }), outcome: commitOutcome('h1', { n: 2 }) },
          { message: msg({ idempotencyKey: 'bad' }), outcome: reject },
        ]);
        const [dup, half, bad] = again;
        assert.ok(dup?.duplicate);
        assert.equal(dup.existing.status, 'committed');
        assert.ok(half && !half.duplicate && half.commit);
        assert.equal(half.messageId, unfinished.id);
        assert.equal((await store.getMessage(unfinished.id))!.status, 'committed');
        assert.ok(bad && !bad.duplicate);
        assert.equal(await store.countMessagesByStatus().then((c) => c.rejected), 2);
      });

      it('the same input twice in one call: the second is a duplicate of the first', async () => {
        const [first, second] = await store.ingestBatch([
          { message: msg({ idempotencyKey: 'twice' }), outcome: commitOutcome('t1', { n: 1 }) },
          { message: msg({ idempotencyKey: 'twice' }), outcome: commitOutcome('t1', { n: 1 }) },
        ]);
        assert.ok(first && !first.duplicate && first.commit?.outcome === 'created');
        assert.ok(second?.duplicate);
        assert.equal(second.existing.id, first.messageId);
        assert.equal(second.existing.status, 'committed');
      });

      it('the same inputs in two calls at once: each is stored once, the other call answers a duplicate', async () => {
        const call = () => store.ingestBatch(Array.from({ length: 5 }, (_, i) => ({ message: msg({ idempotencyKey: `both-${i}` }), outcome: commitOutcome(`both-${i}`, { i }) })));
        const [a, b] = await Promise.all([call(), call()]);
        for (let i = 0; i < 5; i++) {
          const x = a![i]!;
          const y = b![i]!;
          assert.equal([x, y].filter((r) => r.duplicate).length, 1);
          const stored = x.duplicate ? y : x;
          const dup = x.duplicate ? x : y;
          assert.ok(!stored.duplicate && stored.commit?.outcome === 'created' && dup.duplicate);
          assert.equal(dup.existing.id, stored.messageId);
          assert.equal(dup.existing.status, 'committed');
          assert.deepEqual(dup.existing.canonical, { i });
        }
        assert.equal((await store.pendingOutbox(100)).length, 5);
      });

      it('two calls at once creating the same records give versions 1 and 2, without errors', async () => {
        const call = (n: number) => store.ingestBatch(Array.from({ length: 5 }, (_, i) => ({ message: msg(), outcome: commitOutcome(`same-${i}`, { n, i }) })));
        const [a, b] = await Promise.all([call(1), call(2)]);
        for (let i = 0; i < 5; i++) {
          const x = a![i]!;
          const y = b![i]!;
          assert.ok(!x.duplicate && !y.duplicate && x.commit && y.commit);
          assert.equal(x.commit.record.id, y.commit.record.id);
          assert.deepEqual([x.commit.record.version, y.commit.record.version].sort(), [1, 2]);
        }
      });

      it('unchanged and stale items take no sequence number; batches ingested at once keep seq order', async () => {
        await store.ingestBatch([{ message: msg(), outcome: commitOutcome('u1', { n: 1 }, { sourceUpdatedAt: '2026-01-02T00:00:00.000Z' }) }]);
        const [same, stale] = await store.ingestBatch([
          { message: msg(), outcome: commitOutcome('u1', { n: 1 }) },
          { message: msg(), outcome: commitOutcome('u1', { n: 2 }, { sourceUpdatedAt: '2026-01-01T00:00:00.000Z' }) },
        ]);
        assert.ok(same && !same.duplicate && stale && !stale.duplicate);
        assert.equal(same.commit?.outcome, 'unchanged');
        assert.equal(stale.commit?.outcome, 'stale');
        const batches = await Promise.all(
          Array.from({ length: 4 }, (_, b) => store.ingestBatch(Array.from({ length: 10 }, (_, i) => ({ message: msg(), outcome: commitOutcome(`p${b}-${i}`, { i }) })))),
        );
        const seqs = batches.flat().map((r) => (r.duplicate ? -1 : r.commit!.event!.seq));
        assert.equal(new Set(seqs).size, 40);
        const outbox = (await store.pendingOutbox(100)).map((e) => e.seq);
        assert.deepEqual(
          outbox,
          [...outbox].sort((x, y) => x - y),
        );
        assert.equal(outbox.length, 41);
      });
    });

    describe('attempts in batches', () => {
      it('beginAttempts and finishAttempts do what the single calls do, for many deliveries at once', async () => {
        const a = await published(['r1', 'r2']);
        const b = await published(['r1']);
        const at = Date.now();
        const claims = await store.beginAttempts(
          [
            { eventId: a.event.eventId, routeId: 'r1' },
            { eventId: a.event.eventId, routeId: 'r2' },
            { eventId: b.event.eventId, routeId: 'r1' },
            { eventId: b.event.eventId, routeId: 'r1' },
          ],
          at,
        );
        // Two copies of one event in one batch: the first claims it, the second waits for its attempt.
        assert.deepEqual(claims, [
          { proceed: true, attempt: 1 },
          { proceed: true, attempt: 1 },
          { proceed: true, attempt: 1 },
          { proceed: false, attempt: 1, busyMs: CLAIM_TIMEOUT_MS },
        ]);
        const done = (eventId: string, routeId: string, attempt: number, status: 'delivered' | 'retrying') => ({
          eventId,
          routeId,
          attempt,
          outcome: status === 'delivered' ? ('delivered' as const) : ('retry' as const),
          status,
          error: status === 'delivered' ? null : 'timeout',
          detail: null,
          durationMs: 2,
        });
        await store.finishAttempts([done(a.event.eventId, 'r1', 1, 'delivered'), done(a.event.eventId, 'r2', 1, 'retrying'), done(b.event.eventId, 'r1', 1, 'delivered')]);
        assert.equal((await store.getMessage(a.message.id))!.status, 'retrying');
        assert.equal((await store.getMessage(b.message.id))!.status, 'delivered');
        assert.deepEqual(
          (await store.listAttempts(a.message.id)).map((x) => [x.routeId, x.outcome]),
          [
            ['r1', 'delivered'],
            ['r2', 'retry'],
          ],
        );
        assert.deepEqual(
          await store.beginAttempts([
            { eventId: b.event.eventId, routeId: 'r1' },
            { eventId: a.event.eventId, routeId: 'r2' },
          ]),
          [
            { proceed: false, attempt: 1 },
            { proceed: true, attempt: 2 },
          ],
        );
      });
    });

    describe('delivery claims (two copies of one event)', () => {
      const finish = (eventId: string, attempt: number, status: 'delivered' | 'retrying') => ({
        eventId,
        routeId: 'r1',
        attempt,
        outcome: status === 'delivered' ? ('delivered' as const) : ('retry' as const),
        status,
        error: status === 'delivered' ? null : 'timeout',
        detail: null,
        durationMs: 1,
      });

      it('two claims of one event at the same moment: one proceeds, the other is refused until the attempt is recorded', async () => {
        const { message, event } = await published(['r1']);
        const at = Date.now();
        const claims = await Promise.all([store.beginAttempt(event.eventId, 'r1', at), store.beginAttempt(event.eventId, 'r1', at)]);
        assert.deepEqual(
          claims.filter((c) => c.proceed),
          [{ proceed: true, attempt: 1 }],
        );
        assert.deepEqual(
          claims.filter((c) => !c.proceed),
          [{ proceed: false, attempt: 1, busyMs: CLAIM_TIMEOUT_MS }],
        );
        // Still refused while the attempt runs, with the time left on its claim.
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at + 1000), { proceed: false, attempt: 1, busyMs: CLAIM_TIMEOUT_MS - 1000 });
        await store.finishAttempt(finish(event.eventId, 1, 'delivered'));
        // The copy that comes back afterwards is refused as delivered: the caller acks it.
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at + 2000), { proceed: false, attempt: 1 });
        assert.deepEqual(
          (await store.listAttempts(message.id)).map((x) => [x.attempt, x.outcome]),
          [[1, 'delivered']],
        );
      });

      it('many claims of one event at once: exactly one proceeds', async () => {
        const { event } = await published(['r1']);
        const claims = await Promise.all(Array.from({ length: 6 }, () => store.beginAttempt(event.eventId, 'r1')));
        assert.equal(claims.filter((c) => c.proceed).length, 1);
        assert.ok(claims.every((c) => c.attempt === 1));
        assert.ok(claims.filter((c) => !c.proceed).every((c) => c.busyMs !== undefined && c.busyMs > 0 && c.busyMs <= CLAIM_TIMEOUT_MS));
      });

      it('a claim past its timeout is taken over (its worker died), so nothing is lost; the dead attempt cannot end the new claim', async () => {
        const { message, event } = await published(['r1']);
        const at = Date.now();
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at), { proceed: true, attempt: 1 });
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at + CLAIM_TIMEOUT_MS - 1), { proceed: false, attempt: 1, busyMs: 1 });
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at + CLAIM_TIMEOUT_MS), { proceed: true, attempt: 2 }, 'the stale claim is taken over');
        // The first attempt's outcome arrives late (a hung worker): it is recorded, but attempt 2 keeps its claim.
        await store.finishAttempt(finish(event.eventId, 1, 'retrying'));
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at + CLAIM_TIMEOUT_MS + 10), { proceed: false, attempt: 2, busyMs: CLAIM_TIMEOUT_MS - 10 });
        await store.finishAttempt(finish(event.eventId, 2, 'delivered'));
        assert.equal((await store.getDelivery(event.eventId, 'r1'))!.status, 'delivered');
        assert.equal((await store.getMessage(message.id))!.status, 'delivered');
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at + CLAIM_TIMEOUT_MS + 20), { proceed: false, attempt: 2 });
      });

      it('a claim renewed while its attempt runs is not taken over; a claim taken over, or recorded, is not renewed by its old holder', async () => {
        const { event } = await published(['r1']);
        const at = Date.now();
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at), { proceed: true, attempt: 1 });
        // A slow sink: the worker renews its claim before it lapses, so a copy is still refused after the first timeout.
        await store.renewClaims([{ eventId: event.eventId, routeId: 'r1', attempt: 1 }], at + CLAIM_TIMEOUT_MS - 1);
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at + CLAIM_TIMEOUT_MS + 5), { proceed: false, attempt: 1, busyMs: CLAIM_TIMEOUT_MS - 6 });
        // Not renewed any more (the worker died): taken over once the renewed claim lapses.
        const later = at + 2 * CLAIM_TIMEOUT_MS - 1;
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', later), { proceed: true, attempt: 2 });
        // The old holder's renewal (attempt 1) does not extend the new claim (attempt 2).
        await store.renewClaims([{ eventId: event.eventId, routeId: 'r1', attempt: 1 }], later + CLAIM_TIMEOUT_MS);
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', later + CLAIM_TIMEOUT_MS), { proceed: true, attempt: 3 });
        // A recorded attempt's claim is not revived by a renewal that comes late.
        await store.finishAttempt(finish(event.eventId, 3, 'retrying'));
        await store.renewClaims([{ eventId: event.eventId, routeId: 'r1', attempt: 3 }], later + CLAIM_TIMEOUT_MS + 10);
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', later + CLAIM_TIMEOUT_MS + 20), { proceed: true, attempt: 4 });
      });

      it('a failed attempt ends its claim: the retry proceeds at once', async () => {
        const { event } = await published(['r1']);
        const at = Date.now();
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at), { proceed: true, attempt: 1 });
        await store.finishAttempt(finish(event.eventId, 1, 'retrying'));
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1', at + 1), { proceed: true, attempt: 2 });
      });

      it('messageTrail reads deliveries and attempts in one snapshot: an attempt recorded meanwhile is seen whole or not at all', async () => {
        const { message, event } = await published(['r1']);
        let torn = 0;
        for (let i = 1; i <= 150; i++) {
          const { attempt } = await store.beginAttempt(event.eventId, 'r1');
          const error = `down ${i}`;
          const [, trail] = await Promise.all([
            store.finishAttempt({ eventId: event.eventId, routeId: 'r1', attempt, outcome: 'retry', status: 'retrying', error, detail: null, durationMs: 1 }),
            store.messageTrail(message.id),
          ]);
          const d = trail.deliveries.find((x) => x.routeId === 'r1')!;
          const tries = trail.attempts.filter((a) => a.routeId === 'r1');
          // The delivery says what its last recorded attempt says: no outcome without its attempt, no attempt without its outcome.
          if (d.lastError !== (tries[tries.length - 1]?.error ?? null)) torn++;
        }
        assert.equal(torn, 0, 'reads that saw an outcome without its attempt, or the reverse');
        const trail = await store.messageTrail(message.id);
        assert.equal(trail.attempts.length, 150);
        assert.equal(trail.deliveries[0]!.lastError, 'down 150');
        assert.deepEqual(trail.history, await store.messageHistory(message.id));
      });

      it('deliveriesOf lists the (event, route) deliveries of the events asked for', async () => {
        const a = await published(['r1', 'r2']);
        const b = await published([]);
        await store.beginAttempt(b.event.eventId, 'r3');
        const key = (d: { eventId: string; routeId: string }) => `${d.eventId}/${d.routeId}`;
        assert.deepEqual((await store.deliveriesOf([a.event.eventId, b.event.eventId, uuidv7()])).map(key).sort(), [`${a.event.eventId}/r1`, `${a.event.eventId}/r2`, `${b.event.eventId}/r3`].sort());
        assert.deepEqual(await store.deliveriesOf([]), []);
      });
    });

    describe('outbox and deliveries', () => {
      it('pendingOutbox lists unpublished events in sequence order, up to the limit; countUnpublished counts them, up to the limit', async () => {
        const events = [];
        for (let i = 0; i < 4; i++) events.push((await ingest(`s${i}`, { n: i })).result.event!);
        assert.deepEqual(await store.pendingOutbox(100), events);
        assert.deepEqual(await store.pendingOutbox(2), events.slice(0, 2));
        assert.equal(await store.countUnpublished(100), 4);
        assert.equal(await store.countUnpublished(3), 3);
        await store.markPublished([{ eventId: events[1]!.eventId, messageId: events[1]!.messageId ?? null, routeIds: [] }]);
        assert.deepEqual(
          (await store.pendingOutbox(100)).map((e) => e.eventId),
          [events[0], events[2], events[3]].map((e) => e!.eventId),
        );
        assert.equal(await store.countUnpublished(100), 3);
      });

      it('markPublished creates a pending delivery per route and makes the message published', async () => {
        const { message, event } = await published(['b-route', 'a-route']);
        assert.deepEqual(await store.pendingOutbox(10), []);
        const m = (await store.getMessage(message.id))!;
        assert.equal(m.status, 'published');
        const ds = await store.listDeliveries(message.id);
        assert.deepEqual(
          ds.map((d) => [d.routeId, d.status, d.attempts, d.eventId, d.messageId, d.lastError, d.deliveredAt]),
          [
            ['a-route', 'pending', 0, event.eventId, message.id, null, null],
            ['b-route', 'pending', 0, event.eventId, message.id, null, null],
          ],
        );
        assert.match(ds[0]!.updatedAt, ISO);
        assert.deepEqual(await store.getDelivery(event.eventId, 'a-route'), ds[0]);
        assert.equal(await store.getDelivery(event.eventId, 'nope'), undefined);
        // Publishing again (a second relay) changes nothing.
        await store.markPublished([{ eventId: event.eventId, messageId: message.id, routeIds: ['a-route', 'b-route'] }]);
        assert.equal((await store.listDeliveries(message.id)).length, 2);
        assert.deepEqual(
          (await store.messageHistory(message.id)).map((h) => h.status),
          ['received', 'committed', 'published'],
        );
      });

      it('an event no route matches still makes the message published', async () => {
        const { message } = await published([]);
        assert.equal((await store.getMessage(message.id))!.status, 'published');
        assert.deepEqual(await store.listDeliveries(message.id), []);
      });

      it('beginAttempt numbers attempts; a delivered delivery is not attempted again', async () => {
        const { message, event } = await published(['r1']);
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1'), { proceed: true, attempt: 1 });
        await store.finishAttempt({ eventId: event.eventId, routeId: 'r1', attempt: 1, outcome: 'retry', status: 'retrying', error: 'timeout', detail: 'next attempt in 20 ms', durationMs: 12.4 });
        let d = (await store.getDelivery(event.eventId, 'r1'))!;
        assert.equal(d.status, 'retrying');
        assert.equal(d.lastError, 'timeout');
        assert.equal(d.attempts, 1);
        assert.equal((await store.getMessage(message.id))!.status, 'retrying');
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1'), { proceed: true, attempt: 2 });
        await store.finishAttempt({ eventId: event.eventId, routeId: 'r1', attempt: 2, outcome: 'delivered', status: 'delivered', error: null, detail: 'HTTP 200', durationMs: 3 });
        d = (await store.getDelivery(event.eventId, 'r1'))!;
        assert.equal(d.status, 'delivered');
        assert.equal(d.lastError, null);
        assert.match(d.deliveredAt!, ISO);
        assert.equal((await store.getMessage(message.id))!.status, 'delivered');
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1'), { proceed: false, attempt: 2 });
        const attempts = await store.listAttempts(message.id);
        assert.deepEqual(
          attempts.map((a) => [a.eventId, a.routeId, a.attempt, a.outcome, a.error, a.detail, a.durationMs]),
          [
            [event.eventId, 'r1', 1, 'retry', 'timeout', 'next attempt in 20 ms', 12],
            [event.eventId, 'r1', 2, 'delivered', null, 'HTTP 200', 3],
          ],
        );
        for (const a of attempts) assert.match(a.at, ISO);
      });

      it('a delivery attempted before the relay marked its event published still belongs to its message', async () => {
        // The consumer can be faster than the relay's markPublished.
        const { message, result } = await ingest('s1', { givenNames: 'Anna' });
        const event = result.event!;
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r1'), { proceed: true, attempt: 1 });
        await store.finishAttempt({ eventId: event.eventId, routeId: 'r1', attempt: 1, outcome: 'delivered', status: 'delivered', error: null, detail: null, durationMs: 1 });
        await store.markPublished([{ eventId: event.eventId, messageId: message.id, routeIds: ['r1'] }]);
        const ds = await store.listDeliveries(message.id);
        assert.deepEqual(
          ds.map((d) => [d.routeId, d.status, d.attempts, d.messageId]),
          [['r1', 'delivered', 1, message.id]],
        );
        assert.deepEqual(
          (await store.listAttempts(message.id)).map((a) => [a.routeId, a.outcome]),
          [['r1', 'delivered']],
        );
        assert.equal((await store.getMessage(message.id))!.status, 'delivered');
      });

      it('beginAttempt on an unknown delivery creates it', async () => {
        const eventId = uuidv7();
        assert.deepEqual(await store.beginAttempt(eventId, 'r9'), { proceed: true, attempt: 1 });
        const d = (await store.getDelivery(eventId, 'r9'))!;
        assert.equal(d.status, 'pending');
        assert.equal(d.attempts, 1);
        assert.equal(d.messageId, null);
      });

      it('the message is delivered only when every delivery is, and dead when one is dead', async () => {
        const { message, event } = await published(['r1', 'r2']);
        const finish = async (routeId: string, status: 'delivered' | 'dead') => {
          const { attempt } = await store.beginAttempt(event.eventId, routeId);
          await store.finishAttempt({ eventId: event.eventId, routeId, attempt, outcome: status, status, error: status === 'dead' ? 'rejected: 400' : null, detail: null, durationMs: 1 });
        };
        await finish('r1', 'delivered');
        assert.equal((await store.getMessage(message.id))!.status, 'published');
        await finish('r2', 'dead');
        assert.equal((await store.getMessage(message.id))!.status, 'dead');
        const other = await published(['r1', 'r2']);
        for (const r of ['r1', 'r2']) {
          const { attempt } = await store.beginAttempt(other.event.eventId, r);
          await store.finishAttempt({ eventId: other.event.eventId, routeId: r, attempt, outcome: 'delivered', status: 'delivered', error: null, detail: null, durationMs: 1 });
        }
        assert.equal((await store.getMessage(other.message.id))!.status, 'delivered');
      });

      it('concurrent finishes of two routes leave the message delivered', async () => {
        for (let i = 0; i < 5; i++) {
          const { message, event } = await published(['r1', 'r2']);
          await Promise.all(
            ['r1', 'r2'].map(async (routeId) => {
              const { attempt } = await store.beginAttempt(event.eventId, routeId);
              await store.finishAttempt({ eventId: event.eventId, routeId, attempt, outcome: 'delivered', status: 'delivered', error: null, detail: null, durationMs: 1 });
            }),
          );
          assert.equal((await store.getMessage(message.id))!.status, 'delivered');
        }
      });

      it('resetDeliveries puts dead deliveries back to pending for replay', async () => {
        const { message, event } = await published(['r1', 'r2']);
        for (const [routeId, status] of [
          ['r1', 'delivered'],
          ['r2', 'dead'],
        ] as const) {
          const { attempt } = await store.beginAttempt(event.eventId, routeId);
          await store.finishAttempt({ eventId: event.eventId, routeId, attempt, outcome: status, status, error: status === 'dead' ? 'gone' : null, detail: null, durationMs: 1 });
        }
        assert.equal((await store.getMessage(message.id))!.status, 'dead');
        const reset = await store.resetDeliveries(message.id, ['dead']);
        assert.deepEqual(reset, [{ eventId: event.eventId, routeId: 'r2' }]);
        const d = (await store.getDelivery(event.eventId, 'r2'))!;
        assert.equal(d.status, 'pending');
        assert.equal(d.attempts, 0);
        assert.equal(d.lastError, null);
        assert.equal((await store.getDelivery(event.eventId, 'r1'))!.status, 'delivered');
        assert.equal((await store.getMessage(message.id))!.status, 'published');
        assert.deepEqual(await store.resetDeliveries(message.id, ['dead']), []);
        assert.deepEqual(await store.beginAttempt(event.eventId, 'r2'), { proceed: true, attempt: 1 });
      });

      it('countDeliveriesByStatus counts per route and status', async () => {
        const a = await published(['r1', 'r2']);
        await published(['r1']);
        const { attempt } = await store.beginAttempt(a.event.eventId, 'r1');
        await store.finishAttempt({ eventId: a.event.eventId, routeId: 'r1', attempt, outcome: 'delivered', status: 'delivered', error: null, detail: null, durationMs: 1 });
        const counts = (await store.countDeliveriesByStatus()).sort((x, y) => `${x.routeId}/${x.status}`.localeCompare(`${y.routeId}/${y.status}`));
        assert.deepEqual(counts, [
          { routeId: 'r1', status: 'delivered', count: 1 },
          { routeId: 'r1', status: 'pending', count: 1 },
          { routeId: 'r2', status: 'pending', count: 1 },
        ]);
      });
    });

    describe('sql access for feature modules', () => {
      it('migrates a module once, runs ? statements, commits and rolls back transactions', async () => {
        const steps = [{ sqlite: 'CREATE TABLE conf_items (id TEXT PRIMARY KEY, n INTEGER NOT NULL)', postgres: 'CREATE TABLE conf_items (id text PRIMARY KEY, n integer NOT NULL)' }];
        await store.sql.migrate('conformance', steps);
        await store.sql.migrate('conformance', steps);
        assert.deepEqual(await store.sql.run('INSERT INTO conf_items (id, n) VALUES (?, ?)', ['a', 1]), { changes: 1 });
        await store.sql.transaction(async (tx) => {
          await tx.run('INSERT INTO conf_items (id, n) VALUES (?, ?)', ['b', 2]);
        });
        await assert.rejects(
          store.sql.transaction(async (tx) => {
            await tx.run('INSERT INTO conf_items (id, n) VALUES (?, ?)', ['c', 3]);
            throw new Error('undo');
          }),
          /undo/,
        );
        const rows = await store.sql.query<{ id: string; n: number }>('SELECT id, n FROM conf_items WHERE id <> ? ORDER BY id', ['zzz']);
        assert.deepEqual(
          rows.map((r) => [r.id, Number(r.n)]),
          [
            ['a', 1],
            ['b', 2],
          ],
        );
        assert.equal((await store.sql.run('UPDATE conf_items SET n = n + 1 WHERE n > ?', [0])).changes, 2);
      });
    });

    describe('tokens and meta', () => {
      it('creates, finds, lists and revokes tokens', async () => {
        await store.createToken({ id: 't1', name: 'LAIS', hash: 'h1', scopes: ['ingest:lu-lais'] });
        await store.createToken({ id: 't2', name: 'admin', hash: 'h2', scopes: ['admin', 'metrics'] });
        const t1 = (await store.findToken('h1'))!;
        assert.equal(t1.id, 't1');
        assert.equal(t1.name, 'LAIS');
        assert.deepEqual(t1.scopes, ['ingest:lu-lais']);
        assert.match(t1.createdAt, ISO);
        assert.equal(t1.revokedAt, null);
        assert.equal(await store.findToken('nope'), undefined);
        assert.deepEqual(
          (await store.listTokens()).map((t) => t.id),
          ['t1', 't2'],
        );
        assert.equal(await store.revokeToken('t1'), true);
        assert.equal(await store.revokeToken('t1'), false);
        assert.equal(await store.revokeToken('nope'), false);
        assert.equal(await store.findToken('h1'), undefined);
        const list = await store.listTokens();
        assert.match(list.find((t) => t.id === 't1')!.revokedAt!, ISO);
        assert.equal(list.find((t) => t.id === 't2')!.revokedAt, null);
        await assert.rejects(store.createToken({ id: 't3', name: 'dup', hash: 'h2', scopes: [] }));
      });

      it('gets and sets meta values', async () => {
        assert.equal(await store.getMeta('k'), undefined);
        await store.setMeta('k', 'v1');
        assert.equal(await store.getMeta('k'), 'v1');
        await store.setMeta('k', 'v2');
        assert.equal(await store.getMeta('k'), 'v2');
      });
    });
  });
}
