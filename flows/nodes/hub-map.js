'use strict';
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-this-alias -- Node-RED loads its nodes as CommonJS modules, in its own style */
/* global require, module */
const { registerCatalog } = require('./lib/catalog.js');
const { bridgeOf, noHub, fail, str, institutionOf } = require('./lib/hub.js');

/**
 * hub map: runs mappings/<set>/<entity>.jsonata on a message property (default msg.payload) and
 * puts the result in the output property (default msg.payload). Bindings: $institution (the node's,
 * else msg.hub.institution, else the input's institution) and $source. A mapping that rejects the
 * input ($error) goes to done(err).
 */
module.exports = function (RED) {
  registerCatalog(RED);
  function HubMapNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const bridge = bridgeOf(RED);
    if (!bridge) return noHub(node);
    const set = str(config.mappingSet, '');
    const entity = str(config.entity, '');
    const property = str(config.property, 'payload');
    const output = str(config.output, 'payload');

    node.on('input', function (msg, send, done) {
      let input;
      try {
        input = RED.util.getMessageProperty(msg, property);
      } catch (e) {
        return fail(msg, e, done);
      }
      if (input === undefined) return fail(msg, new Error(`hub map: msg.${property} is empty`), done);
      const institution = institutionOf(config, msg, input);
      bridge.map(set, entity, input, { institution, source: str(config.source, '') }).then(
        (out) => {
          RED.util.setMessageProperty(msg, output, out, true);
          send(msg);
          done();
        },
        (err) => fail(msg, err, done),
      );
    });
  }

  RED.nodes.registerType('hub map', HubMapNode);
};
