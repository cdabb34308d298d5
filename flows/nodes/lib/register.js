'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED loads its nodes as CommonJS modules, in its own style */
/* global require, module */
const { registerCatalog } = require('./catalog.js');
const { bridgeOf, noHub, fail } = require('./hub.js');

/**
 * Registers a hub node type. `setup(node, config, bridge)` runs for each node once the hub's bridge
 * is there; without a hub the node shows a red status instead.
 */
function registerHubNode(RED, type, setup) {
  registerCatalog(RED);
  function HubNode(config) {
    RED.nodes.createNode(this, config);
    const bridge = bridgeOf(RED);
    if (!bridge) return noHub(this);
    setup(this, config, bridge);
  }
  RED.nodes.registerType(type, HubNode);
}

/**
 * Reads msg.<property>; a malformed property path ends the message with the error. Returns
 * `{ value }`, or undefined when the message has been ended.
 */
function readProperty(RED, msg, property, done) {
  try {
    return { value: RED.util.getMessageProperty(msg, property) };
  } catch (e) {
    fail(msg, e, done);
    return undefined;
  }
}

module.exports = { registerHubNode, readProperty };
