import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { authenticate, scope } from '../api/context.ts';
import { errorHandler } from '../api/problem.ts';
import type { NodeRedDeps } from './deps.ts';
import { editorAccess, editorAuth, signInRouter } from './auth.ts';
import { createBridge } from './bridge.ts';
import { endConnectionsOfEndedSessions, type RuntimeComms } from './comms.ts';
import { seedExamples } from './examples.ts';
import { editorHeaders, sameOriginOnly, whenReady } from './guard.ts';
import { credentialSecret } from './secret.ts';
import { EditorSessions } from './sessions.ts';
import { ADMIN_ROOT, defaultFlowFile, NODE_ROOT, nodeRedSettings } from './settings.ts';
import { InternalError } from '../core/errors.ts';

export interface NodeRedOptions {
  /** Demo only: without HUB_NODERED_SECRET, generate a credentials key into the data dir. */
  generateSecret: boolean;
  /** Demo: write the example flows into a flow file that does not exist yet. */
  seedExamples: boolean;
  /** Default: HUB_NODERED_FLOW_FILE, else <data dir>/flows/flows.json. */
  flowFile?: string;
  /** Seconds an editor login lasts (default 8 h). */
  sessionExpirySeconds?: number;
}

export interface EmbeddedNodeRed {
  adminRoot: string;
  nodeRoot: string;
  flowFile: string;
  /** Lines for the operator (a generated secret, seeded flows). */
  notes: string[];
  /** After server.listen(): loads the nodes and starts the flows. */
  start(): Promise<void>;
  /** Stops the flows (their subscriptions) and the editor's websocket; before server.close(). */
  stop(): Promise<void>;
}

/** The scope a hub token needs for the endpoints of http in nodes (admin and ingest:* include it). */
export const FLOWS_HTTP_SCOPE = 'ingest:flows';

interface NodeRedModule {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: RequestHandler;
  httpNode: RequestHandler;
  runtime: { comms: RuntimeComms };
}

/** How often the editor's open websockets are checked against their sessions. */
const COMMS_CHECK_MS = 2000;

let embedded = false;

/** Fails fast (before the hub opens its store and broker) when the editor cannot start: no secret in production. */
export function preflightNodeRed(env: Readonly<Record<string, string | undefined>>, opts: NodeRedOptions): void {
  if (!opts.generateSecret) credentialSecret(env, { file: '', generate: false });
}

/**
 * Embeds Node-RED in the hub's HTTP server: the editor and its API at /flows behind the admin's
 * credentials (no anonymous editor: it runs code), http in nodes at /flows-http behind hub tokens.
 * Call after creating the server and before listen(); then start() after listen().
 * Node-RED is a per-process singleton: once per process (RED.start after RED.stop does not work).
 */
export async function embedNodeRed(hub: NodeRedDeps, server: Server, app: Express, opts: NodeRedOptions): Promise<EmbeddedNodeRed> {
  if (embedded) throw new InternalError('Node-RED is embedded once per process (its runtime cannot start again after a stop)');
  const env = hub.env.env;
  const dataDir = hub.env.dataDir;
  const userDir = join(dataDir, 'nodered');
  const configured = opts.flowFile ?? env.HUB_NODERED_FLOW_FILE;
  const flowFile = configured ? (isAbsolute(configured) ? configured : resolve(configured)) : defaultFlowFile(dataDir);
  const notes: string[] = [];
  const { secret, note } = credentialSecret(env, { file: join(userDir, 'credential-secret'), generate: opts.generateSecret });
  if (note) notes.push(note);
  if (opts.seedExamples) {
    const tabs = seedExamples(flowFile, dataDir);
    if (tabs.length) notes.push(`example flows written to ${flowFile}: ${tabs.join(', ')}`);
  }
  const logger = hub.logger.child({ component: 'nodered' });
  const handle = createBridge(hub);
  const sessions = new EditorSessions(() => hub.store.sql, hub.tokens, opts.sessionExpirySeconds ?? 8 * 3600);
  await sessions.ready();
  const access = editorAccess(hub.tokens, sessions);
  const settings = nodeRedSettings({
    dataDir,
    userDir,
    flowFile,
    credentialSecret: secret,
    adminAuth: editorAuth(access),
    bridge: handle.bridge,
    logger,
  });
  // Until RED.start() has loaded the nodes and flows, /readyz says so and the editor answers 503.
  const state = hub.readiness.state('editor', 'starting');
  // Loaded only when enabled: requiring node-red has process-wide effects (dns result order, its singletons).
  const RED = createRequire(import.meta.url)('node-red') as NodeRedModule;
  embedded = true;
  RED.init(server, settings);
  // In front of Node-RED's editor app: headers, same origin only, 503 until ready, the hub's own sign-in.
  const front = express.Router();
  front.use(editorHeaders, sameOriginOnly, whenReady('editor', state.reason));
  front.use(signInRouter({ sessions, tokens: hub.tokens, access, limiter: hub.signIns, logger }));
  front.use(errorHandler(hub.logger));
  app.use(ADMIN_ROOT, front, RED.httpAdmin);
  const http = express.Router();
  http.use(whenReady('flows', state.reason), authenticate(hub), scope(FLOWS_HTTP_SCOPE), RED.httpNode);
  http.use(errorHandler(hub.logger));
  app.use(NODE_ROOT, http);

  let started = false;
  let comms: { stop(): void } | undefined;
  return {
    adminRoot: ADMIN_ROOT,
    nodeRoot: NODE_ROOT,
    flowFile,
    notes,
    start: async () => {
      // The editor's websockets end with their sessions too (followed from before the first can open).
      comms = endConnectionsOfEndedSessions(RED.runtime.comms, async (token) => (await access(token)) !== undefined, COMMS_CHECK_MS);
      await RED.start();
      started = true;
      state.set(undefined);
    },
    stop: async () => {
      state.set('stopping');
      comms?.stop();
      if (started) await RED.stop();
      started = false;
      await handle.stop();
    },
  };
}
