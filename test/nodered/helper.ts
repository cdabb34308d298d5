import { createRequire } from 'node:module';

/**
 * node-red-node-test-helper for the hub's nodes. It runs Node-RED's flow engine in this (mocha)
 * process without RED.init/RED.start, so it does not clash with anything; the embedded runtime
 * (RED.init with the http.Server) is tested in a child process (embedded.test.ts).
 */
export const require = createRequire(import.meta.url);

export interface NodeTestHelper {
  init(path: string): void;
  settings(s: Record<string, unknown>): Record<string, unknown>;
  load(nodes: unknown[], flow: Record<string, unknown>[], creds?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode | null;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
}

export interface TestNode {
  id: string;
  type: string;
  receive(msg: Record<string, unknown>): void;
  on(event: 'input', fn: (msg: Record<string, unknown>) => void): void;
  /** hub subscribe: resolves when the subscription is consuming. */
  ready?: Promise<void>;
}

export const helper = require('node-red-node-test-helper') as NodeTestHelper;
helper.init(require.resolve('node-red'));

export const hubNodes = ['hub-ingest', 'hub-subscribe', 'hub-map', 'hub-validate', 'hub-record'].map((n) => require(`../../flows/nodes/${n}.js`) as unknown);
export const catchNode = require('@node-red/nodes/core/common/25-catch.js') as unknown;
export const httpRequestNode = require('@node-red/nodes/core/network/21-httprequest.js') as unknown;
export const functionNode = require('@node-red/nodes/core/function/10-function.js') as unknown;

/** A test node that records what it receives and calls done(): the end of a flow that finishes. */
export function sinkNode(seen: Record<string, unknown>[]) {
  return (RED: { nodes: { createNode(n: unknown, c: unknown): void; registerType(t: string, c: unknown): void } }) => {
    function SinkNode(this: { on(e: string, f: (msg: Record<string, unknown>, send: unknown, done: () => void) => void): void }, c: unknown) {
      RED.nodes.createNode(this, c);
      this.on('input', (msg, _send, done) => {
        seen.push(msg);
        done();
      });
    }
    RED.nodes.registerType('test sink', SinkNode);
  };
}

/** Resolves with the next message a node outputs (it must be wired to a helper node `id`). */
export function nextMessage(id: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const n = helper.getNode(id);
  if (!n) throw new Error(`no node ${id}`);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no message at ${id} within ${timeoutMs} ms`)), timeoutMs);
    n.on('input', (msg) => {
      clearTimeout(t);
      resolve(msg);
    });
  });
}
