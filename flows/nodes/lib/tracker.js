'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Node-RED loads its nodes as CommonJS modules, in its own style */
/* global require, module, setImmediate, clearTimeout */

/**
 * Knows when a flow has finished with a message that a `hub subscribe` node sent, so the event is
 * acknowledged only then, and knows when anything in that message's tree failed.
 *
 * Node-RED does not follow a message through a flow, so this does, with the runtime's message hooks:
 * every copy of the message carries msg._hubAck. A copy is in flight from the moment a node sends
 * it (onSend) until the receiving node calls done() (onComplete). The tree has finished when no copy
 * is in flight, checked once more after the pending deliveries of this turn (messages are delivered
 * asynchronously). A failure is done(err), or node.error(err, msg) with a copy of the message (what
 * the http request node does), or, with httpErrors, an http request node answered with a status of
 * 400 or more. A tree that is not finished within the timeout fails.
 *
 * Limits: a node that builds a new message object instead of passing msg on drops the tracking for
 * that branch (the event is acknowledged when the rest has finished); a node that never calls done()
 * makes every event time out (all core nodes call it).
 */

const LABEL = 'studyHubTracker';
const WRAPPED = Symbol.for('study-hub.error-watched');
const trackers = new Map();
let installed = null;

/** Registers the hooks once per runtime (the test helper creates its runtime anew for each load). */
function install(RED) {
  let hooks = RED.hooks;
  if (!hooks) hooks = require('@node-red/util').hooks; // node-red-node-test-helper does not pass hooks
  if (installed === hooks && hooks.has('onComplete.' + LABEL)) return;
  hooks.remove('*.' + LABEL);
  hooks.add('onSend.' + LABEL, onSend);
  hooks.add('onReceive.' + LABEL, onReceive);
  hooks.add('onComplete.' + LABEL, onComplete);
  installed = hooks;
}

function onSend(events) {
  for (const ev of events) {
    const t = ev.msg && trackers.get(ev.msg._hubAck);
    if (!t) continue;
    // A wire to a node that does not run (disabled) delivers nothing: do not wait for it.
    const flow = ev.source && ev.source.node && ev.source.node._flow;
    if (flow && typeof flow.getNode === 'function' && !flow.getNode(ev.destination.id)) continue;
    t.pendingSends++;
  }
}

function onReceive(ev) {
  const t = ev.msg && trackers.get(ev.msg._hubAck);
  if (!t) return;
  if (t.pendingSends > 0) t.pendingSends--;
  t.inFlight++;
  watchErrors(ev.destination && ev.destination.node);
}

function onComplete(ev) {
  const t = ev.msg && trackers.get(ev.msg._hubAck);
  if (!t) return;
  t.inFlight = Math.max(0, t.inFlight - 1);
  if (ev.error) failWith(t, ev.error);
  const node = ev.node && ev.node.node;
  const status = ev.msg.statusCode;
  if (t.httpErrors && node && node.type === 'http request' && typeof status === 'number' && status >= 400) {
    const e = new Error(`the http request node got HTTP ${status}`);
    // As the webhook sink does: a 4xx other than 408 and 429 will not get better by trying again.
    e.retryable = !(status < 500 && status !== 408 && status !== 429);
    failWith(t, e);
  }
  settleWhenIdle(t);
}

/** Reports node.error(err, msg) of a tracked message as a failure of its tree. */
function watchErrors(node) {
  if (!node || node[WRAPPED] || typeof node.error !== 'function') return;
  const original = node.error;
  node.error = function (logMessage, msg) {
    const t = msg && typeof msg === 'object' && trackers.get(msg._hubAck);
    if (t) failWith(t, logMessage);
    return original.apply(this, arguments);
  };
  node[WRAPPED] = true;
}

function failWith(t, err) {
  if (!t.error) t.error = err instanceof Error ? err : new Error(typeof err === 'string' ? err : JSON.stringify(err));
}

function settleWhenIdle(t) {
  if (t.pendingSends > 0 || t.inFlight > 0 || t.checking) return;
  t.checking = true;
  setImmediate(() => {
    t.checking = false;
    if (trackers.get(t.id) !== t || t.pendingSends > 0 || t.inFlight > 0) return;
    settle(t, t.error);
  });
}

function settle(t, error) {
  clearTimeout(t.timer);
  trackers.delete(t.id);
  if (error) t.reject(error);
  else t.resolve();
}

/**
 * Starts tracking a message id. Returns { done: Promise, kick() }: send the message with
 * msg._hubAck = id, then call kick() (a message sent nowhere finishes at once).
 */
function track(id, opts) {
  let resolve;
  let reject;
  const done = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const t = { id, owner: opts.owner, httpErrors: opts.httpErrors !== false, pendingSends: 0, inFlight: 0, error: null, checking: false, resolve, reject, timer: null };
  t.timer = setTimeout(() => {
    if (trackers.get(id) !== t) return;
    trackers.delete(id);
    reject(t.error || new Error(`the flow did not finish within ${Math.round(opts.timeoutMs / 1000)} s (does every node after hub subscribe call done?)`));
  }, opts.timeoutMs);
  trackers.set(id, t);
  return { done, kick: () => settleWhenIdle(t) };
}

/** Fails every message a node is waiting for (the node is being stopped). */
function abandon(owner, reason) {
  for (const t of [...trackers.values()]) if (t.owner === owner) settle(t, new Error(reason));
}

function size() {
  return trackers.size;
}

module.exports = { install, track, abandon, size };
