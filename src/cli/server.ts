import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { adapters } from '../../adapters/index.ts';
import { createApp } from '../api/app.ts';
import { Hub, type HubRole } from '../hub.ts';
import type { HubConfig } from '../config/types.ts';
import { embedNodeRed, preflightNodeRed, type EmbeddedNodeRed, type NodeRedOptions } from '../nodered/embed.ts';
import { announcer, type Runtime } from './runtime.ts';
import { startWorkerHealth } from './worker-health.ts';

export interface RunningHub {
  hub: Hub;
  server: Server | undefined;
  url: string | undefined;
  /** Where /healthz, /readyz and /metrics answer (the API's URL, or a worker's own port). */
  healthUrl: string | undefined;
  /** The embedded Node-RED editor, when enabled (src/nodered/). */
  nodered: EmbeddedNodeRed | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Embed the Node-RED editor at /flows (roles all and api). */
  nodered?: NodeRedOptions;
}

/** Starts a hub process: `all` and `api` serve the HTTP API on PORT; `worker` runs relay and consumers, with health and metrics on PORT. */
export async function startHub(rt: Runtime, config: HubConfig, role: HubRole, opts: StartOptions = {}): Promise<RunningHub> {
  if (opts.nodered) preflightNodeRed(rt.env.env, opts.nodered);
  const hub = await Hub.create({ env: rt.env, config, adapters, logger: rt.logger, schemas: rt.schemas, mappings: rt.mappings, role, processMetrics: true });
  await hub.start();
  const { generated } = await hub.tokens.ensureAdmin(rt.env.adminToken);
  if (generated) {
    rt.logger.warn({ adminToken: generated }, `admin token generated (shown once; keep it, or set HUB_ADMIN_TOKEN):\n    ${generated}`);
  }
  let server: Server | undefined;
  let url: string | undefined;
  let healthUrl: string | undefined;
  let nodered: EmbeddedNodeRed | undefined;
  if (role !== 'worker') {
    const app = createApp(hub);
    server = createServer(app);
    server.requestTimeout = 60_000;
    try {
      // Node-RED takes the http.Server (its editor's websocket) and mounts on the app before listen.
      if (opts.nodered) nodered = await embedNodeRed(hub, server, app, opts.nodered);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(rt.env.port, rt.env.host, resolve);
      });
      await nodered?.start();
    } catch (e) {
      await nodered?.stop().catch(() => undefined);
      if (server.listening) await new Promise<void>((r) => server!.close(() => r()));
      await hub.stop().catch(() => undefined);
      throw e;
    }
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : rt.env.port;
    url = `http://localhost:${port}`;
  } else {
    // A worker answers /healthz, /readyz and /metrics on PORT, for compose and Kubernetes probes.
    try {
      server = await startWorkerHealth(hub, rt.env.port, rt.env.host);
    } catch (e) {
      await hub.stop().catch(() => undefined);
      throw e;
    }
    const addr = server.address();
    healthUrl = `http://localhost:${typeof addr === 'object' && addr ? addr.port : rt.env.port}`;
  }
  rt.logger.info({ role, store: hub.store.kind, broker: hub.broker.kind, url }, 'hub started');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Flows first: their subscriptions finish or go back to the queue, and the editor's websocket closes.
      await nodered?.stop();
      if (server) await closeServer(server, rt.env.shutdownGraceMs);
      await hub.stop();
    })());
  return { hub, server, url, healthUrl: healthUrl ?? url, nodered, stop };
}

/**
 * Stops cleanly on SIGINT/SIGTERM: no new connections, requests in flight (an ingest call) finish and
 * answer within HUB_SHUTDOWN_GRACE_MS, deliveries in flight finish, files closed; then exit 0. A second
 * signal exits at once with 1.
 */
export function stopOnSignals(stop: () => Promise<void>, rt: Runtime): void {
  let n = 0;
  const onSignal = (sig: string) => {
    if (n++ > 0) process.exit(1);
    announcer(rt).info({ signal: sig, graceMs: rt.env.shutdownGraceMs }, `${sig}: stopping (requests in flight have ${rt.env.shutdownGraceMs} ms to finish)`);
    stop().then(
      () => {
        announcer(rt).info('stopped');
        process.exit(0);
      },
      (e: unknown) => {
        rt.logger.error({ err: e }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

/**
 * Stops accepting connections, closes idle keep-alive ones at once and gives requests in flight a grace
 * period; long-lived streams (the admin console's server-sent events) are then cut, so a stop never hangs.
 */
export async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}
