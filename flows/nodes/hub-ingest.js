'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED loads its nodes as CommonJS modules, in its own style */
/* global require, module */
const { fail, str } = require('./lib/hub.js');
const { registerHubNode } = require('./lib/register.js');

/**
 * hub ingest: msg.payload (one native record, or an array of them) into a source's pipeline, as if
 * the source had sent it: stored raw, mapped, validated, committed. Output: the per-record results.
 * A rejected record is kept in the hub with its reasons (and counted in msg.summary); errors of the
 * whole call (unknown source, store down) go to done(err).
 */
module.exports = function (RED) {
  registerHubNode(RED, 'hub ingest', function (node, config, bridge) {
    const fixedSource = str(config.source, '');
    const fixedEntity = str(config.entity, '');

    node.on('input', function (msg, send, done) {
      const source = fixedSource || str(msg.source, '');
      const entity = fixedEntity || str(msg.entity, '');
      if (!source || !entity) return fail(msg, new Error('hub ingest: set a source and an entity on the node (or send msg.source and msg.entity)'), done);
      const records = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
      node.status({ fill: 'blue', shape: 'dot', text: `${records.length} → ${source}/${entity}` });
      bridge.ingest(source, entity, records).then(
        (results) => {
          const summary = { records: results.length, rejected: 0, duplicate: 0 };
          for (const r of results) {
            summary[r.status] = (summary[r.status] || 0) + 1;
            if (r.duplicate) summary.duplicate++;
          }
          msg.payload = results;
          msg.summary = summary;
          node.status({ fill: summary.rejected ? 'yellow' : 'green', shape: 'dot', text: `${summary.records} records, ${summary.rejected} rejected` });
          send(msg);
          done();
        },
        (err) => {
          node.status({ fill: 'red', shape: 'ring', text: err.code || 'error' });
          fail(msg, err, done);
        },
      );
    });
  });
};
