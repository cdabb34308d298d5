/**
 * The editor's websocket (`/flows/comms`) is signed in once, when it opens. So that it ends with its
 * session like every HTTP request does, the connections Node-RED registers with its runtime
 * (`RED.runtime.comms.addConnection`, the runtime API the editor calls) are followed, and every few
 * seconds each one's token is checked again: a connection whose session has ended is told
 * `{"auth":"fail"}` (the editor then asks to sign in) and closed.
 */
import { InternalError } from '../core/errors.ts';

/** Where the editor's user object (adminAuth.tokens) keeps the bearer value it was made from; not serialised. */
export const SIGNED_IN_WITH: unique symbol = Symbol('signed in with');

export interface CommsConnection {
  /** The user Node-RED signed the connection in as (from adminAuth.tokens, with SIGNED_IN_WITH). */
  user?: { [SIGNED_IN_WITH]?: string } | null;
  /** The bearer value of the connection's auth packet (Node-RED sets it). */
  token?: string | null;
  ws: { send(data: string): void; close(): void };
}

export interface RuntimeComms {
  addConnection(opts: { client: CommsConnection }): Promise<unknown>;
  removeConnection(opts: { client: CommsConnection }): Promise<unknown>;
}

export function endConnectionsOfEndedSessions(comms: RuntimeComms, live: (token: string) => Promise<boolean>, everyMs: number): { stop(): void } {
  const add = comms.addConnection;
  const remove = comms.removeConnection;
  if (typeof add !== 'function' || typeof remove !== 'function') throw new InternalError('Node-RED runtime comms API without addConnection/removeConnection: cannot follow editor connections');
  const open = new Set<CommsConnection>();
  comms.addConnection = (opts) => {
    open.add(opts.client);
    return add.call(comms, opts);
  };
  comms.removeConnection = (opts) => {
    open.delete(opts.client);
    return remove.call(comms, opts);
  };
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      for (const c of [...open]) {
        const token = c.user?.[SIGNED_IN_WITH] ?? c.token;
        const ok = typeof token === 'string' && token !== '' && (await live(token).catch(() => true));
        if (ok) continue;
        open.delete(c);
        try {
          c.ws.send(JSON.stringify({ auth: 'fail' }));
          c.ws.close();
        } catch {
          // already closed
        }
      }
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), everyMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      comms.addConnection = add;
      comms.removeConnection = remove;
      open.clear();
    },
  };
}
