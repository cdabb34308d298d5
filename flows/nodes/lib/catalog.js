'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED loads its nodes as CommonJS modules, in its own style */
/* global require, module */
const { bridgeOf } = require('./hub.js');

const registered = new WeakSet();

/**
 * GET <admin root>/hub-nodes/catalog: sources, entities, mapping sets, institutions and routes of the
 * running hub, for the pick lists in the nodes' edit dialogs. Behind the editor's login like every
 * admin route.
 */
function registerCatalog(RED) {
  const app = RED.httpAdmin;
  if (!app || registered.has(app)) return;
  registered.add(app);
  const guard = RED.auth && RED.auth.needsPermission ? RED.auth.needsPermission('flows.read') : (_req, _res, next) => next();
  app.get('/hub-nodes/catalog', guard, function (_req, res) {
    const bridge = bridgeOf(RED);
    if (!bridge) return res.status(503).json({ error: 'no hub' });
    res.json(bridge.catalog());
  });
}

module.exports = { registerCatalog };
