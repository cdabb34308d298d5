import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { HubBridge } from './bridge.ts';

/** The package folder of the hub's own Node-RED nodes. */
export const HUB_NODES_DIR = fileURLToPath(new URL('../../flows/nodes/', import.meta.url));

export const ADMIN_ROOT = '/flows';
/** Where http in nodes of flows answer: not the admin root (the editor would hang), behind hub tokens. */
export const NODE_ROOT = '/flows-http';

export interface SettingsInput {
  dataDir: string;
  userDir: string;
  flowFile: string;
  credentialSecret: string;
  adminAuth: object;
  bridge: HubBridge;
  logger: Logger;
}

// Node-RED's log levels (@node-red/util/lib/log.js).
const FATAL = 10;
const ERROR = 20;
const WARN = 30;
const INFO = 40;
const AUDIT = 98;
/** Audit events an operator may need to see (who logged in, who deployed); the rest are debug. */
/** Warnings Node-RED gives at every start of a hub that works as intended. */
const EXPECTED_WARNINGS = /^(Projects disabled|Encrypted credentials not found)/;
const NOTABLE_AUDIT = /^(auth\.login|auth\.logout|permission\.fail|flows\.set|nodes\.|library\.set|settings\.update|projects\.)/;

interface NodeRedLogMessage {
  level: number;
  msg?: unknown;
  type?: string;
  id?: string;
  name?: string;
  event?: string;
  user?: { username?: string };
  path?: string;
}

/** Node-RED's log into the hub's logger: its warnings and errors as such, its chatter as debug, audits of changes as info. */
export function nodeRedLogHandler(logger: Logger) {
  return () => (m: NodeRedLogMessage) => {
    if (m.level === AUDIT) {
      const fields = { audit: m.event, user: m.user?.username, path: m.path };
      if (NOTABLE_AUDIT.test(m.event ?? '')) logger.info(fields, `node-red audit: ${m.event ?? ''}`);
      else logger.debug(fields, `node-red audit: ${m.event ?? ''}`);
      return;
    }
    const text = m.msg instanceof Error ? m.msg.message : typeof m.msg === 'string' ? m.msg : JSON.stringify(m.msg);
    const fields = m.type ? { node: m.id, nodeType: m.type, ...(m.name ? { nodeName: m.name } : {}) } : {};
    if (m.level <= FATAL) logger.fatal(fields, `node-red: ${text}`);
    else if (m.level <= ERROR) logger.error(fields, `node-red: ${text}`);
    else if (m.level <= WARN && !EXPECTED_WARNINGS.test(text)) logger.warn(fields, `node-red: ${text}`);
    else if (m.level <= WARN) logger.debug(fields, `node-red: ${text}`);
    else if (m.level <= INFO) logger.debug(fields, `node-red: ${text}`);
    else logger.trace(fields, `node-red: ${text}`);
  };
}

/**
 * The settings of the embedded Node-RED. In embedded mode uiPort, https, httpAdminAuth, httpNodeAuth
 * and httpStatic are the host's business (the hub mounts and guards the routes itself).
 */
export function nodeRedSettings(i: SettingsInput): Record<string, unknown> {
  return {
    httpAdminRoot: ADMIN_ROOT,
    httpNodeRoot: NODE_ROOT,
    userDir: i.userDir,
    // Explicit: the default flows_<hostname>.json changes between containers.
    flowFile: i.flowFile,
    flowFilePretty: true,
    credentialSecret: i.credentialSecret,
    adminAuth: i.adminAuth,
    nodesDir: [HUB_NODES_DIR],
    // Relative paths of file nodes are under the data dir.
    fileWorkingDirectory: i.dataDir,
    // The hub nodes' way to the running hub (flows/nodes/lib/hub.js); not visible to function nodes.
    studyHub: i.bridge,
    // No installing of npm modules from the editor or from function nodes: what runs is what was reviewed.
    externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpload: false }, modules: { allowInstall: false } },
    functionExternalModules: false,
    // Bounds: a flow runs in the hub's process.
    globalFunctionTimeout: 30,
    nodeMessageBufferMaxLength: 10_000,
    apiMaxLength: '5mb',
    debugMaxLength: 2000,
    httpRequestTimeout: 60_000,
    exportGlobalContextKeys: false,
    telemetry: { enabled: false },
    runtimeState: { enabled: false },
    editorTheme: {
      page: { title: 'Study-data hub · flows' },
      header: { title: 'Study-data hub · flows', url: '/admin' },
      tours: false,
    },
    logging: {
      console: { level: 'off' },
      hub: { level: 'info', audit: true, metrics: false, handler: nodeRedLogHandler(i.logger) },
    },
  };
}

/** The default flow file: <data dir>/flows/flows.json (its credentials beside it, encrypted). */
export function defaultFlowFile(dataDir: string): string {
  return join(dataDir, 'flows', 'flows.json');
}
