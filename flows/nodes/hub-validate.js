'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED loads its nodes as CommonJS modules, in its own style */
/* global require, module */
const { fail, str } = require('./lib/hub.js');
const { registerHubNode } = require('./lib/register.js');

/**
 * hub validate: checks a message property (default msg.payload) against the entity's canonical
 * schema (schemas/<entity>.schema.json). Valid: the message goes on unchanged. Not valid: done(err)
 * with msg.violations (a JSON pointer and a message each), so a Catch node can report them.
 */
module.exports = function (RED) {
  registerHubNode(RED, 'hub validate', function (node, config, bridge) {
    const entity = str(config.entity, '');
    const property = str(config.property, 'payload');

    node.on('input', function (msg, send, done) {
      try {
        bridge.assertValid(entity, RED.util.getMessageProperty(msg, property));
        node.status({});
        send(msg);
        done();
      } catch (err) {
        if (Array.isArray(err.violations) && err.violations.length) {
          msg.violations = err.violations;
          node.status({ fill: 'yellow', shape: 'ring', text: `${err.violations.length} violations` });
        }
        fail(msg, err, done);
      }
    });
  });
};
