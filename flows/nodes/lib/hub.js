'use strict';
/* global module */

/**
 * What the hub nodes share: the bridge to the running hub, and error hand-over.
 *
 * The hub registers its bridge in the Node-RED settings as `studyHub` (src/nodered/bridge.ts). The
 * nodes call it directly, in the hub's own process, never over HTTP.
 */

/** The hub's bridge, or undefined when this Node-RED does not run inside a hub. */
function bridgeOf(RED) {
  const b = RED.settings && RED.settings.studyHub;
  return b && b.version === 1 ? b : undefined;
}

/** A red status and an error for a node that has no hub to talk to. */
function noHub(node) {
  node.status({ fill: 'red', shape: 'ring', text: 'no hub' });
  node.error('this Node-RED does not run inside the study-data hub (no studyHub bridge in the settings)');
}

/**
 * Ends the message with an error, so Catch nodes get it (and a `hub subscribe` upstream retries or
 * dead-letters the event). The hub's error code and violations travel on msg.hubError.
 */
function fail(msg, err, done) {
  const e = err instanceof Error ? err : new Error(String(err));
  msg.hubError = { code: e.code || 'HUB_ERR_FLOW', message: e.message };
  if (Array.isArray(e.violations) && e.violations.length) msg.hubError.violations = e.violations;
  done(e);
}

/** A property of the node config: trimmed string, or the default. */
function str(v, dflt) {
  return typeof v === 'string' && v.trim() ? v.trim() : dflt;
}

function int(v, dflt) {
  const n = Number(v);
  return Number.isFinite(n) && v !== '' && v !== null && v !== undefined ? Math.floor(n) : dflt;
}

/** Institution for bindings and lookups: the node's, else msg.hub.institution, else the payload's. */
function institutionOf(config, msg, value) {
  return str(config.institution, '') || (msg.hub && msg.hub.institution) || (value && typeof value === 'object' && typeof value.institution === 'string' ? value.institution : '') || '';
}

module.exports = { bridgeOf, noHub, fail, str, int, institutionOf };
