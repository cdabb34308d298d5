import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { SinkError, TransportError } from '../../src/core/errors.ts';
import { failingPartners, PartnerFailures } from '../../src/ewp/cnr/partner-failures.ts';

/** Quiet failures made visible (issue 15, item 8): counted always, logged at warn once per partner and reason. */
function capture() {
  const lines: { level: number; msg: string; partner?: string; nextAttemptAt?: string | null }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

describe('EWP partner failures', () => {
  it('counts every failure, warns once per partner, direction and reason with the next attempt, and says when it works again', async () => {
    const { lines, logger } = capture();
    const registry = new Registry();
    const counter = new Counter({ name: 'hub_ewp_partner_failures_total', help: 'test', labelNames: ['partner', 'direction', 'code'], registers: [registry] });
    const f = new PartnerFailures(logger, counter);
    const next = Date.parse('2026-12-04T01:00:00Z');
    for (let i = 0; i < 5; i++) f.failed('send', 'vu.lt', new TransportError('connect ECONNREFUSED 127.0.0.1:9'), next);
    f.failed('send', 'vu.lt', new SinkError('partner answered HTTP 500: the person 010101-10006 is unknown'), next);
    f.failed('fetch', 'vu.lt', new TransportError('no answer within 5000 ms'), undefined);
    f.succeeded('send', 'vu.lt');
    f.failed('send', 'vu.lt', new TransportError('connect ECONNREFUSED 127.0.0.1:9'), next);
    await new Promise((r) => setImmediate(r));
    const warns = lines.filter((l) => l.level === 40);
    assert.deepEqual(
      warns.map((l) => l.msg.replace(/: .*$/, '')),
      [
        'EWP CNR to vu.lt failed (HUB_ERR_TRANSPORT), next attempt at 2026-12-04T01:00:00.000Z',
        'EWP CNR to vu.lt failed (HUB_ERR_SINK), next attempt at 2026-12-04T01:00:00.000Z',
        'EWP fetch from vu.lt failed (HUB_ERR_TRANSPORT), not tried again',
        'EWP CNR to vu.lt failed (HUB_ERR_TRANSPORT), next attempt at 2026-12-04T01:00:00.000Z',
      ],
      'four repeats of one failure are debug lines; after recovery the same failure warns again',
    );
    assert.equal(lines.filter((l) => l.level === 20).length, 4);
    assert.ok(lines.some((l) => l.level === 30 && l.msg === 'EWP CNR to vu.lt works again'));
    assert.ok(!JSON.stringify(lines).includes('010101-10006'), 'a partner’s error text is logged without personal codes');
    const text = await registry.getSingleMetricAsString('hub_ewp_partner_failures_total');
    assert.match(text, /partner="vu.lt",direction="send",code="HUB_ERR_TRANSPORT"} 6/);
    assert.match(text, /partner="vu.lt",direction="fetch",code="HUB_ERR_TRANSPORT"} 1/);
  });

  it('groups the failing rows of a queue by partner, with the earliest next attempt', () => {
    const rows = [
      { partner: 'vu.lt', lastError: 'HTTP 503', dueAt: Date.parse('2026-12-04T01:00:00Z') },
      { partner: 'vu.lt', lastError: 'HTTP 503', dueAt: Date.parse('2026-12-04T00:30:00Z') },
      { partner: 'ut.ee', lastError: 'timeout', dueAt: String(Date.parse('2026-12-04T02:00:00Z')) },
      { partner: 'ok.example', lastError: null, dueAt: 0 },
    ];
    assert.deepEqual(failingPartners('send', rows), [
      { partner: 'ut.ee', direction: 'send', waiting: 1, lastError: 'timeout', nextAttemptAt: '2026-12-04T02:00:00.000Z' },
      { partner: 'vu.lt', direction: 'send', waiting: 2, lastError: 'HTTP 503', nextAttemptAt: '2026-12-04T00:30:00.000Z' },
    ]);
  });
});
