import type { Request, Response } from 'express';
import type { AdminSessions } from './session.ts';
import { readCookies, SESSION_COOKIE } from './session.ts';

export interface LiveOptions {
  /** Time between two updates. */
  intervalMs: number;
  /** A stream ends after this (the browser reconnects), so a stopping server is not held open long. */
  streamMs: number;
  /** Streams open at once, over all admins. */
  maxStreams: number;
}

/**
 * Server-sent events: `update` with {at, values} (data-live key → text) every interval, while the
 * session lives; `expired` when it ends. The values are text; the page's script sets textContent.
 */
export class LiveStreams {
  private open = 0;

  constructor(
    private readonly sessions: AdminSessions,
    private readonly o: LiveOptions,
  ) {}

  serve(req: Request, res: Response, values: () => Promise<Record<string, string>>): void {
    if (this.open >= this.o.maxStreams) {
      res.status(503).setHeader('Retry-After', '10');
      res.type('text/plain').send('too many live views open');
      return;
    }
    this.open++;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: ${Math.max(1000, this.o.intervalMs)}\n\n`);
    let closed = false;
    let wake: (() => void) | undefined;
    const onClose = () => {
      closed = true;
      wake?.();
    };
    req.on('close', onClose);
    const cookieId = readCookies(req.headers.cookie)[SESSION_COOKIE];
    const started = Date.now();
    void (async () => {
      try {
        while (!closed) {
          if (!(await this.sessions.get(cookieId, false))) {
            res.write('event: expired\ndata: {}\n\n');
            break;
          }
          const v = await values();
          if (closed) break;
          res.write(`event: update\ndata: ${JSON.stringify({ at: new Date().toISOString(), values: v })}\n\n`);
          if (Date.now() - started >= this.o.streamMs) break;
          await new Promise<void>((r) => {
            const t = setTimeout(r, this.o.intervalMs);
            wake = () => {
              clearTimeout(t);
              r();
            };
          });
        }
      } catch {
        // The store went away (shutdown) or a query failed: end the stream; the browser retries.
      } finally {
        this.open--;
        req.off('close', onClose);
        res.end();
      }
    })();
  }
}
