import { randomBytes } from 'node:crypto';
import { demoConfig } from '../../config/demo.ts';
import { startFeeder } from '../../demo/feeder.ts';
import { startReceiver } from '../../demo/receiver.ts';
import { fail, loadConfig, runtime } from '../runtime.ts';
import { startHub, stopOnSignals } from '../server.ts';

/** `hub demo` (what `npm start` runs): the whole hub with demo institutions, a receiver and a feed. */
export async function demoCommand(opts: { feed: boolean }): Promise<void> {
  try {
    const secret = process.env.HUB_DEMO_WEBHOOK_SECRET ?? randomBytes(24).toString('hex');
    const receiver = await startReceiver(secret);
    const rt = runtime({ HUB_DEMO_WEBHOOK_SECRET: secret });
    const config = loadConfig(rt, rt.env.configFile, demoConfig(receiver.url));
    const running = await startHub(rt, config, 'all');
    const { hub, url } = running;
    for (const t of await hub.store.listTokens()) if (t.name === 'demo feeder' && !t.revokedAt) await hub.store.revokeToken(t.id);
    const feederToken = await hub.tokens.create('demo feeder', ['ingest:lu-lais', 'ingest:rtu-push']);
    const time = () => new Date().toISOString().slice(11, 19);
    const feeder = opts.feed
      ? startFeeder(url!, feederToken.token, (line) => console.log(`${time()} ${line}; register webhook has received ${receiver.received} events`))
      : undefined;
    console.log(`
  Study-data hub demo is running at ${url}
    data dir:   ${rt.env.dataDir}   (store: ${hub.store.kind}, broker: ${hub.broker.kind})
    sources:    ${config.sources.map((s) => `${s.id} (${s.institution}, mapping set ${s.mappingSet})`).join(', ')}
    routes:     ${config.routes.map((r) => `${r.id} → ${r.sink}`).join(', ')}
    archive:    ${hub.dataPath('out', 'archive.jsonl')}
    webhook:    ${receiver.url} (checks the HMAC signature)
  ${opts.feed ? 'A demo feed sends records every few seconds; watch the log lines "demo feed".' : 'Demo feed off (--no-feed).'}

  Send a first record yourself (the admin token was printed at first start, or is HUB_ADMIN_TOKEN):
    curl -s -X POST ${url}/api/v1/ingest/rtu-push/person \\
      -H "authorization: Bearer $HUB_ADMIN_TOKEN" -H 'content-type: application/json' \\
      -d '{"sourceId":"RTU000001","identifiers":[{"scheme":"student-number","value":"RTU000001"}],"givenNames":"Līga","familyName":"Ozoliņa"}'
    curl -s ${url}/api/v1/messages?limit=5 -H "authorization: Bearer $HUB_ADMIN_TOKEN"
  Health: ${url}/healthz  Ready: ${url}/readyz  Metrics: ${url}/metrics (token)
`);
    stopOnSignals(async () => {
      feeder?.stop();
      await running.stop();
      await receiver.close();
    });
  } catch (e) {
    fail(e);
  }
}
