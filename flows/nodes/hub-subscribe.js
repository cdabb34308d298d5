'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED loads its nodes as CommonJS modules, in its own style */
/* global require, module */
const crypto = require('crypto');
const { str, int } = require('./lib/hub.js');
const { registerHubNode } = require('./lib/register.js');
const tracker = require('./lib/tracker.js');

/**
 * hub subscribe: canonical change events by topic pattern (or dead deliveries), one message per event.
 * The event is acknowledged when the flow has finished with it; a failure anywhere in the flow is
 * retried with backoff and dead-lettered after the last attempt (src/nodered/subscriptions.ts).
 */
module.exports = function (RED) {
  tracker.install(RED);
  registerHubNode(RED, 'hub subscribe', function (node, config, bridge) {
    tracker.install(RED);
    const feed = config.feed === 'dead' ? 'dead' : 'events';
    const name = str(config.queue, '') || node.id.replace(/[^a-z0-9_-]/gi, '').toLowerCase();
    const timeoutMs = Math.max(1, int(config.timeout, 60)) * 1000;
    const httpErrors = config.httpErrors !== false;
    const maxAttempts = int(config.attempts, 5);
    const initialDelayMs = Math.max(0, int(config.delay, 1000));
    const list = (v) =>
      String(v || '')
        .split(/[\s,]+/)
        .filter(Boolean);
    let handle = null;
    let stopped = false;
    let finished = 0;
    let failed = 0;
    const show = () => node.status({ fill: failed ? 'yellow' : 'green', shape: 'dot', text: `${name}: ${finished} done${failed ? `, ${failed} failed` : ''}` });

    /** Sends one message and resolves or rejects when its tree has finished. */
    function hand(msg) {
      if (stopped) return Promise.reject(new Error('the flow is being stopped; the event is handed over again later'));
      const id = `${node.id}:${crypto.randomBytes(8).toString('hex')}`;
      const t = tracker.track(id, { owner: node.id, timeoutMs, httpErrors });
      msg._hubAck = id;
      node.send(msg);
      t.kick();
      return t.done.then(
        () => {
          finished++;
          show();
        },
        (err) => {
          failed++;
          show();
          throw err;
        },
      );
    }

    const started =
      feed === 'events'
        ? bridge.subscribe(
            {
              name,
              patterns: list(config.patterns),
              maxAttempts,
              initialDelayMs,
              concurrency: Math.max(1, int(config.concurrency, 1)),
              legalBasis: str(config.legalBasis, 'public-task'),
              purpose: str(config.purpose, ''),
              ...(str(config.recipient, '') ? { recipient: str(config.recipient, '') } : {}),
              ...(list(config.fields).length ? { fields: list(config.fields) } : {}),
            },
            (event, info) =>
              hand({
                topic: `${event.entity}.${event.op}.${event.institution}`,
                payload: event,
                hub: {
                  eventId: event.eventId,
                  entity: event.entity,
                  op: event.op,
                  institution: event.institution,
                  recordId: event.recordId,
                  version: event.version,
                  subscription: name,
                  attempt: info.attempt,
                  maxAttempts: info.maxAttempts,
                },
                headers: { 'Idempotency-Key': event.eventId },
              }),
          )
        : bridge.watchDead({ name, routes: list(config.routes), maxAttempts, initialDelayMs }, (dead, info) =>
            hand({
              topic: `dead.${dead.routeId}`,
              payload: dead,
              hub: { eventId: dead.eventId, routeId: dead.routeId, entity: dead.entity, institution: dead.institution, subscription: name, attempt: info.attempt, maxAttempts: info.maxAttempts },
            }),
          );
    /** Resolves when the subscription is consuming (tests wait for it); rejects with why it could not start. */
    node.ready = started.then(() => undefined);
    node.ready.catch(() => undefined);
    started.then(
      (h) => {
        handle = h;
        if (stopped) return h.cancel();
        node.status({ fill: 'green', shape: 'dot', text: `${name}: listening` });
      },
      (err) => {
        node.status({ fill: 'red', shape: 'ring', text: err.code || 'error' });
        node.error(err.message || String(err));
      },
    );

    node.on('close', function (removed, done) {
      stopped = true;
      // A flow being stopped cannot finish its events: they go back to the queue as a retry.
      tracker.abandon(node.id, 'the flow was stopped (a deploy or a shutdown) before it finished with the event');
      started
        .catch(() => null)
        .then(() => (handle ? handle.cancel() : null))
        .then(
          () => done(),
          (err) => done(err),
        );
    });
  });
};
