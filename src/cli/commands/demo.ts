import { randomBytes } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { IsisSimulator } from '../../../adapters/isis/simulator.ts';
import { LaisSimulator } from '../../../adapters/lais/simulator.ts';
import { demoConfig } from '../../config/demo.ts';
import { createDevSealKeys } from '../../credentials/keys.ts';
import { credentialKeysDir } from '../../credentials/trust.ts';
import { pushRtuCatalogue, startFeeder } from '../../demo/feeder.ts';
import { startReceiver } from '../../demo/receiver.ts';
import { DEV_CLIENT_ID, DEV_PROVIDER_NOTICE, DevOidcProvider, type DevAccount } from '../../demo/dev-oidc-provider.ts';
import { DemoEmrexClient } from '../../demo/emrex-client.ts';
import { prepareDemoEwp, publishDemoEwp, runDemoExchange, SENDING_SOURCE } from '../../demo/ewp.ts';
import { createDemoEwpKeys, demoEwpHub } from '../demo-ewp.ts';
import { PERSONAL_CODE_SCHEME, identifiersOf } from '../../privacy/personal.ts';
import { RecordReader } from '../../store/records.ts';
import type { Hub } from '../../hub.ts';
import { SourceAdmin } from '../../sources/admin.ts';
import { announcer, fail, loadConfig, runtime, type Runtime } from '../runtime.ts';
import { startHub, stopOnSignals } from '../server.ts';

/** `hub demo` (what `npm start` runs): the whole hub with demo institutions, a receiver and a feed. */
export async function demoCommand(opts: { feed: boolean; students?: number }): Promise<void> {
  let rt: Runtime | undefined;
  try {
    const secret = process.env.HUB_DEMO_WEBHOOK_SECRET ?? randomBytes(24).toString('hex');
    rt = runtime({ HUB_DEMO_WEBHOOK_SECRET: secret });
    const receiver = await startReceiver(secret);
    // Simulated study systems for the demo institutions (only when no config file is given).
    const laisStudents = opts.students ?? 200;
    const isisStudents = opts.students ?? 150;
    const lais = rt.env.configFile ? undefined : new LaisSimulator({ students: laisStudents, resultsPerStudent: 4, latencyMs: 40, faultRates: { 'http-503': 0.02 } });
    const laisUrl = await lais?.start(0);
    lais?.startActivity(20_000, 3);
    const isis = rt.env.configFile ? undefined : new IsisSimulator({ students: isisStudents, resultsPerStudent: 3, latencyMs: 40, faultRates: { 'soap-fault': 0.02 } });
    const isisUrl = await isis?.start(0);
    isis?.startActivity(30_000, 2);
    // The EMREX contact point's development OpenID provider (the demo persons as accounts) and a demo EMREX client.
    const hubRef: { hub?: Hub } = {};
    const op = rt.env.configFile ? undefined : await DevOidcProvider.listen({ accounts: () => demoAccounts(hubRef.hub) });
    const emrexClient = rt.env.configFile ? undefined : await DemoEmrexClient.listen();
    const emrex = op && emrexClient ? { issuer: op.issuer, clientId: DEV_CLIENT_ID, clientUrl: emrexClient.url } : undefined;
    // The EWP node of the demo HEIs behind an https front on loopback, with a local registry (docs/ewp.md); HUB_EWP=off leaves it out.
    const ewp = rt.env.configFile || /^(0|off|false|no)$/i.test(rt.env.env.HUB_EWP ?? '') ? undefined : await prepareDemoEwp(rt.env.dataDir);
    const config = loadConfig(rt, rt.env.configFile, demoConfig(receiver.url, { ...(laisUrl ? { laisUrl } : {}), ...(isisUrl ? { isisUrl } : {}) }, emrex, ewp));
    // Development seals for the demo institutions' digital diplomas (kept in the data dir; never for production).
    if (!rt.env.configFile) for (const i of config.institutions) await createDevSealKeys(credentialKeysDir(config, rt.env.dataDir), i.id);
    // Development EWP keys of the demo HEIs, in the data dir too.
    if (ewp && config.ewp)
      createDemoEwpKeys(
        rt.env.dataDir,
        config.ewp.heis.map((h) => h.id),
      );
    // The Node-RED editor with the example flows (docs/nodered.md); HUB_NODERED=off leaves it out.
    const nodered = /^(0|off|false|no)$/i.test(rt.env.env.HUB_NODERED ?? '') ? undefined : { generateSecret: !rt.env.configFile, seedExamples: true };
    const running = await startHub(rt, config, 'all', nodered ? { nodered } : {});
    const { hub, url } = running;
    hubRef.hub = hub;
    if (op && emrexClient && url) {
      const port = new URL(url).port;
      await op.register(['localhost', '127.0.0.1'].flatMap((h) => [`http://${h}:${port}/emrex/callback`, `http://${h}:${port}/learner/callback`]));
      emrexClient.hubUrl = url;
    }
    for (const t of await hub.store.listTokens()) if (t.name === 'demo feeder' && !t.revokedAt) await hub.store.revokeToken(t.id);
    const feederToken = await hub.tokens.create('demo feeder', ['ingest:rtu-push']);
    const log = announcer(rt).child({ component: 'demo' });
    if (op) log.warn({ issuer: op.issuer }, `EMREX sign-in: ${DEV_PROVIDER_NOTICE}`);
    const feeder = opts.feed
      ? startFeeder(url!, feederToken.token, (line) => log.info({ webhookReceived: receiver.received }, `${line}; register webhook has received ${receiver.received} events`))
      : undefined;
    // rtu.lv's catalogue once (lu.lv's and rsu.lv's come from the simulators).
    void pushRtuCatalogue(url!, feederToken.token).then(
      (line) => log.info(line),
      (e: unknown) => log.warn({ err: e }, 'demo catalogue could not be sent'),
    );
    const sourcesReport = setInterval(() => void reportSources(hub).then((line) => line && log.info(line)), 15_000);
    sourcesReport.unref();
    // The EWP part has a line of its own (the banner's log line is cut at 2,000 characters).
    const ewpSources = new Set(ewp ? [...(config.ewp?.heis.map((h) => h.source) ?? []), SENDING_SOURCE] : []);
    const banner = {
      url,
      dataDir: rt.env.dataDir,
      store: hub.store.kind,
      broker: hub.broker.kind,
      sources: config.sources.map((s) => s.id),
      routes: config.routes.map((r) => r.id),
      archive: hub.dataPath('out', 'archive.jsonl'),
      webhook: receiver.url,
      ...(laisUrl ? { laisSimulator: laisUrl } : {}),
      ...(isisUrl ? { isisSimulator: isisUrl } : {}),
      ...(running.nodered ? { flows: `${url}${running.nodered.adminRoot}/` } : {}),
    };
    // Built as a plain string first: handed to log.info as a template literal, pino's types parse it
    // for format placeholders, which cost the type checker 25 s (two thirds of `npm run typecheck`).
    const text: string = `
  Study-data hub demo is running at ${url}
    data dir:   ${rt.env.dataDir}   (store: ${hub.store.kind}, broker: ${hub.broker.kind})
    sources:    ${config.sources
      .filter((s) => s.system !== 'hub-credentials' && !ewpSources.has(s.id))
      .map((s) => `${s.id} (${s.institution}, ${s.adapter ? `${s.adapter.type} adapter` : 'push'}, mapping set ${s.mappingSet})`)
      .join(', ')}${
      laisUrl
        ? `
    LAIS sim:   ${laisUrl} (${laisStudents} students; polled every 15 s; a few changes every 20 s)`
        : ''
    }${
      isisUrl
        ? `
    ISIS sim:   ${isisUrl}?wsdl (rsu.lv, ${isisStudents} students, SOAP; polled every 20 s)`
        : ''
    }
    catalogue:  ${url}/catalogue  (public; OOAPI 5: ${url}/ooapi/v5/courses?q=datu)
    diplomas:   ${url}/api/v1/credentials (lu.lv's awards, sealed; development seals), check at ${url}/verify${
      op && emrexClient
        ? `
    EMREX:      ${emrexClient.url}  (a demo EMREX client: sends you to the contact point ${url}/emrex/; your page: ${url}/learner/)
    sign-in:    ${op.issuer}  (${DEV_PROVIDER_NOTICE})`
        : ''
    }
    routes:     ${config.routes.map((r) => `${r.id} → ${r.sink}`).join(', ')}
    archive:    ${hub.dataPath('out', 'archive.jsonl')}
    webhook:    ${receiver.url} (checks the HMAC signature)${
      running.nodered
        ? `
    flows:      ${url}${running.nodered.adminRoot}/  (Node-RED; log in as admin with the admin token)${running.nodered.notes
      .map(
        (n) => `
                ${n}`,
      )
      .join('')}`
        : ''
    }
  ${opts.feed ? 'A demo feed sends records every few seconds; watch the log lines "demo feed".' : 'Demo feed off (--no-feed).'}

  Send a first record yourself (the admin token was printed at first start, or is HUB_ADMIN_TOKEN):
    curl -s -X POST '${url}/api/v1/ingest/rtu-push/person' \\
      -H "authorization: Bearer $HUB_ADMIN_TOKEN" -H 'content-type: application/json' \\
      -d '{"sourceId":"RTU000001","identifiers":[{"scheme":"student-number","value":"RTU000001"}],"givenNames":"Līga","familyName":"Ozoliņa"}'
    curl -s '${url}/api/v1/messages?limit=5' -H "authorization: Bearer $HUB_ADMIN_TOKEN"
    curl -s '${url}/api/v1/sources' -H "authorization: Bearer $HUB_ADMIN_TOKEN"     # sources: health, cursor, lag
  API docs: ${url}/api/docs  Admin console: ${url}/admin
  Health: ${url}/healthz  Ready: ${url}/readyz  Metrics: ${url}/metrics (token)
`;
    log.info(banner, text);
    // The demo HEIs listed in the local registry, then the scripted exchange lu.lv ↔ rtu.lv through the pipeline.
    if (ewp && hub.ewp && running.server) {
      const node = demoEwpHub(hub, hub.ewp);
      log.info(
        { manifest: `${ewp.publicUrl}/ewp/lu.lv/manifest.xml`, registry: ewp.registryUrl },
        `EWP node of ${node.heis.map((h) => h.id).join(', ')}: ${ewp.publicUrl}/ewp/<heiId>/manifest.xml (development TLS certificate, local registry ${ewp.registryUrl}); a scripted exchange lu.lv ↔ rtu.lv runs now (HUB_EWP=off leaves EWP out)`,
      );
      void publishDemoEwp(ewp, node, running.server.listeners('request')[0] as RequestListener)
        .then(() => runDemoExchange(node, log, { adminUrl: `${url}/admin/` }))
        .catch((e: unknown) => log.warn({ err: e }, 'EWP demo exchange failed'));
    }
    stopOnSignals(async () => {
      feeder?.stop();
      clearInterval(sourcesReport);
      await running.stop();
      await lais?.close();
      await isis?.close();
      await receiver.close();
      await op?.close();
      await emrexClient?.close();
      await ewp?.close();
    }, rt);
  } catch (e) {
    fail(e, rt);
  }
}

/** The demo persons one can sign in as at the development provider: persons with a personal code, a dozen at most. */
async function demoAccounts(hub: Hub | undefined): Promise<DevAccount[]> {
  if (!hub) return [];
  const out = new Map<string, DevAccount>();
  for (const p of await new RecordReader(hub.store.sql).find({ entity: 'person', limit: 500 })) {
    const code = identifiersOf(p.data).find((i) => i.scheme === PERSONAL_CODE_SCHEME)?.value;
    if (!code) continue;
    const seen = out.get(code);
    if (seen) seen.note = `${seen.note ?? ''}, ${p.institution}`;
    else if (out.size < 12) out.set(code, { id: p.id, name: `${String(p.data.givenNames ?? '')} ${String(p.data.familyName ?? '')}`.trim(), personalCode: code, note: p.institution });
  }
  return [...out.values()];
}

/** One line about the polled sources (records read, health, lag), for the demo log. */
async function reportSources(hub: Hub): Promise<string | undefined> {
  try {
    const views = (await new SourceAdmin(hub.config, hub.store.sql, hub.sources).list()).filter((v) => v.adapter);
    if (!views.length) return undefined;
    return `sources: ${views.map((v) => `${v.id} ${v.recordsRead} records read (${v.health}${v.lagSeconds !== null ? `, lag ${Math.round(v.lagSeconds)} s` : ''}${v.errorCount ? `, ${v.errorCount} failed passes retried` : ''})`).join('; ')}`;
  } catch {
    return undefined;
  }
}
