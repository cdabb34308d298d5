import assert from 'node:assert/strict';
import { makeHub, type TestHub } from './helpers/hub.ts';

describe('gauges read from the store', () => {
  let t: TestHub;
  before(async () => {
    t = await makeHub();
  });
  after(async () => {
    await t?.stop();
  });

  const gauge = async (name: string) => (await t.hub.metrics.registry.getSingleMetric(name)!.get()).values;

  it('a slow count of messages by status runs once at a time, and not again for 20 times as long; a quick one every time', async () => {
    // The hub's own 5-second refresh would count too: stopped for this test.
    clearInterval((t.hub as unknown as { metricsTimer?: NodeJS.Timeout }).metricsTimer);
    const store = t.hub.store;
    const real = store.countMessagesByStatus.bind(store);
    let calls = 0;
    let delayMs = 0;
    store.countMessagesByStatus = async () => {
      calls++;
      // A quick count answers at once (a timer of 0 ms can take longer than 50 ms on a loaded machine).
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return { delivered: calls };
    };
    try {
      await t.hub.refreshGauges();
      await t.hub.refreshGauges();
      assert.equal(calls, 2, 'a quick count: every refresh');
      delayMs = 80;
      // Two refreshes at once (the timer and a scrape of /metrics): one count.
      await Promise.all([t.hub.refreshGauges(), t.hub.refreshGauges()]);
      assert.equal(calls, 3);
      assert.deepEqual(
        (await gauge('hub_messages_by_status')).map((v) => [v.labels.status, v.value]),
        [['delivered', 3]],
      );
      // It took over 50 ms: the next refresh keeps the gauge, for 20 times as long (~1.6 s; longer when the machine is slow).
      await t.hub.refreshGauges();
      assert.equal(calls, 3, 'not counted again so soon');
      delayMs = 0;
      const due = (t.hub as unknown as { countsDue: number }).countsDue;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now()) + 20));
      await t.hub.refreshGauges();
      assert.equal(calls, 4, 'counted again once its time came');
      assert.deepEqual(
        (await gauge('hub_outbox_pending')).map((v) => v.value),
        [0],
      );
    } finally {
      store.countMessagesByStatus = real;
    }
  });
});
