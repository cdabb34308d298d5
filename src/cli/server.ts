import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { adapters } from '../../adapters/index.ts';
import { createApp } from '../api/app.ts';
import { Hub, type HubRole } from '../hub.ts';
import type { HubConfig } from '../config/types.ts';
import type { Runtime } from './runtime.ts';

export interface RunningHub {
  hub: Hub;
  server: Server | undefined;
  url: string | undefined;
  stop(): Promise<void>;
}

/** Starts a hub process: `all` and `api` listen on PORT, `worker` runs relay and consumers only. */
export async function startHub(rt: Runtime, config: HubConfig, role: HubRole): Promise<RunningHub> {
  const hub = new Hub({ env: rt.env, config, adapters, logger: rt.logger, schemas: rt.schemas, mappings: rt.mappings, role, processMetrics: true });
  await hub.start();
  const { generated } = await hub.tokens.ensureAdmin(rt.env.adminToken);
  if (generated) {
    console.log(`\n  Admin token (shown once; keep it, or set HUB_ADMIN_TOKEN):\n    ${generated}\n`);
  }
  let server: Server | undefined;
  let url: string | undefined;
  if (role !== 'worker') {
    server = createServer(createApp(hub));
    server.requestTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(rt.env.port, rt.env.host, resolve);
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : rt.env.port;
    url = `http://localhost:${port}`;
  }
  rt.logger.info({ role, store: hub.store.kind, broker: hub.broker.kind, url }, 'hub started');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await hub.stop();
    })());
  return { hub, server, url, stop };
}

/** Stops cleanly on SIGINT/SIGTERM: no new requests, in-flight deliveries finish, files closed. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let n = 0;
  const onSignal = (sig: string) => {
    if (n++ > 0) process.exit(1);
    console.log(`\nhub: ${sig}, stopping…`);
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}
