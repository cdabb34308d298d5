/**
 * A worker process for the scale-out benchmark: what `hub worker` runs (a Hub in the worker role:
 * outbox relay and route consumers) on PostgreSQL and RabbitMQ, joined to the schema and AMQP prefix
 * the benchmark created, delivering to the no-op sink. Started by bench/scaleout.ts:
 *   node --import tsx bench/lib/worker-main.ts <schema> <prefix>
 * Prints "loaded" once its modules are loaded, starts when it reads "go" on stdin (so that process start
 * is not timed and all workers begin together), prints "ready" once consuming; on SIGTERM stops
 * cleanly and prints one JSON line with its counts.
 */
import { createInterface } from 'node:readline';
import { benchHub } from './hub.ts';

const [schema, prefix] = process.argv.slice(2);
if (!schema || !prefix) {
  console.error('usage: worker-main.ts <schema> <prefix>');
  process.exit(2);
}
console.log('loaded');
await new Promise<void>((resolve) => {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === 'go') {
      rl.close();
      resolve();
    }
  });
});
const cpuAtGo = process.cpuUsage();
const b = await benchHub({ backend: 'real', role: 'worker', join: { schema, prefix } });
console.log('ready');
process.once('SIGTERM', () => {
  void (async () => {
    const outcomes: Record<string, number> = {};
    for (const v of (await b.hub.metrics.deliveries.get()).values) {
      const o = String(v.labels.outcome);
      outcomes[o] = (outcomes[o] ?? 0) + v.value;
    }
    await b.stop();
    const cpu = process.cpuUsage(cpuAtGo);
    console.log(JSON.stringify({ sinkCalls: b.counter.count, outcomes, cpuMs: (cpu.user + cpu.system) / 1000 }));
    process.exit(0);
  })();
});
