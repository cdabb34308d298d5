import type { HubRole } from '../../hub.ts';
import { announcer, fail, loadConfig, runtime, type Runtime } from '../runtime.ts';
import { startHub, stopOnSignals } from '../server.ts';

/** `hub serve` (HTTP API), `hub worker` (relay and consumers), `hub start` (both, one process). */
export async function serveCommand(role: HubRole, opts: { config?: string }): Promise<void> {
  let rt: Runtime | undefined;
  try {
    rt = runtime();
    const config = loadConfig(rt, opts.config ?? rt.env.configFile);
    // HUB_NODERED=on embeds the Node-RED editor at /flows (docs/nodered.md); it needs HUB_NODERED_SECRET.
    const nodered = /^(1|on|true|yes)$/i.test(rt.env.env.HUB_NODERED ?? '') && role !== 'worker' ? { generateSecret: false, seedExamples: false } : undefined;
    const running = await startHub(rt, config, role, nodered ? { nodered } : {});
    const log = announcer(rt);
    if (running.url) log.info({ role, url: running.url }, `hub ${role}: listening on ${running.url}`);
    else
      log.info(
        { role, healthUrl: running.healthUrl },
        `hub ${role}: relaying and delivering (store ${running.hub.store.kind}, broker ${running.hub.broker.kind}); health and metrics on ${running.healthUrl}`,
      );
    if (running.nodered)
      log.info(
        { role, flows: `${running.url}${running.nodered.adminRoot}/` },
        `hub ${role}: Node-RED editor at ${running.url}${running.nodered.adminRoot}/ (user admin, password: a token with the admin scope)`,
      );
    stopOnSignals(running.stop, rt);
  } catch (e) {
    fail(e, rt);
  }
}
