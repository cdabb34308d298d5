'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED loads its nodes as CommonJS modules, in its own style */
/* global require, module */
const { fail, str, institutionOf } = require('./lib/hub.js');
const { registerHubNode, readProperty } = require('./lib/register.js');

/**
 * hub record: reads the current canonical record of an entity. The reference is a message property
 * (default msg.payload): a hub record id, or a reference object {id | sourceId | identifiers,
 * institution} as canonical records hold them (e.g. msg.payload.record.person of a study right).
 * Output property (default msg.payload): {id, entity, institution, version, deleted, record}.
 * Not found: done(err), so a subscribe flow retries later (the record may arrive after the reference).
 */
module.exports = function (RED) {
  registerHubNode(RED, 'hub record', function (node, config, bridge) {
    const entity = str(config.entity, '');
    const property = str(config.property, 'payload');
    const output = str(config.output, 'payload');

    node.on('input', function (msg, send, done) {
      const read = readProperty(RED, msg, property, done);
      if (!read) return;
      const ref = read.value;
      if (ref === undefined || ref === null || ref === '') return fail(msg, new Error(`hub record: msg.${property} holds no reference`), done);
      const institution = institutionOf(config, msg, null);
      bridge.record(entity, ref, institution || undefined).then(
        (rec) => {
          if (!rec) {
            const e = new Error(`hub record: no ${entity} record for the reference in msg.${property}`);
            e.code = 'HUB_ERR_NOT_FOUND';
            return fail(msg, e, done);
          }
          RED.util.setMessageProperty(msg, output, rec, true);
          send(msg);
          done();
        },
        (err) => fail(msg, err, done),
      );
    });
  });
};
