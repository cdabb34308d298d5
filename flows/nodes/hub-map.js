'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED loads its nodes as CommonJS modules, in its own style */
/* global require, module */
const { fail, str, institutionOf } = require('./lib/hub.js');
const { registerHubNode, readProperty } = require('./lib/register.js');

/**
 * hub map: runs mappings/<set>/<entity>.jsonata on a message property (default msg.payload) and
 * puts the result in the output property (default msg.payload). Bindings: $institution (the node's,
 * else msg.hub.institution, else the input's institution) and $source. A mapping that rejects the
 * input ($error) goes to done(err).
 */
module.exports = function (RED) {
  registerHubNode(RED, 'hub map', function (node, config, bridge) {
    const set = str(config.mappingSet, '');
    const entity = str(config.entity, '');
    const property = str(config.property, 'payload');
    const output = str(config.output, 'payload');

    node.on('input', function (msg, send, done) {
      const read = readProperty(RED, msg, property, done);
      if (!read) return;
      const input = read.value;
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
  });
};
