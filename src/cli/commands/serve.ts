import type { HubRole } from '../../hub.ts';
import { fail, loadConfig, runtime } from '../runtime.ts';
import { startHub, stopOnSignals } from '../server.ts';

/** `hub serve` (HTTP API), `hub worker` (relay and consumers), `hub start` (both, one process). */
export async function serveCommand(role: HubRole, opts: { config?: string }): Promise<void> {
  try {
    const rt = runtime();
    const config = loadConfig(rt, opts.config ?? rt.env.configFile);
    const running = await startHub(rt, config, role);
    if (running.url) console.log(`hub ${role}: listening on ${running.url}`);
    else console.log(`hub ${role}: relaying and delivering (store ${running.hub.store.kind}, broker ${running.hub.broker.kind})`);
    stopOnSignals(running.stop);
  } catch (e) {
    fail(e);
  }
}
