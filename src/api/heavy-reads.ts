import type { RequestHandler } from 'express';
import type { Gate } from '../core/gate.ts';

/**
 * Express middleware for a heavy admin read (a list or search of messages or deliveries): it runs
 * when the hub's gate has room (config `limits.adminReads` at once, `limits.adminReadQueue` waiting)
 * and holds its turn until the response is finished or the client went away. Beyond that, 503
 * HUB_ERR_BUSY with Retry-After, at once: /healthz, ingest and light reads never wait behind them.
 */
export function heavyRead(gate: Gate): RequestHandler {
  return (_req, res, next) => {
    gate.acquire().then(
      (release) => {
        res.once('finish', release);
        res.once('close', release);
        // Started on the next turn of the event loop, not at once: requests that arrived meanwhile
        // (/healthz, ingest, more reads) are read first, so the reads queued at once are seen by the
        // gate as what they are, concurrent, and a store that answers synchronously (SQLite) runs at
        // most the admitted few between two looks at the sockets.
        setImmediate(next);
      },
      (e: unknown) => next(e),
    );
  };
}
