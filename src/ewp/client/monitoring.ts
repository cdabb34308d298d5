import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { errorMessage } from '../../core/errors.ts';
import { scrub } from '../../observability/scrub.ts';
import type { RegistryClient } from '../registry/client.ts';
import { MANIFEST_ENTRY } from '../xml/ns.ts';
import type { CallOptions, CallResult, FailedCall } from './http.ts';

/** The EWP Stats Portal, which serves the Monitoring API (its HEI id in the network). */
export const STATS_PORTAL_HEI = 'stats.erasmuswithoutpaper.eu';
/** A failure is reported once per partner, API, endpoint and reason within this period. */
export const MONITORING_PERIOD_MS = 3600_000;
/** APIs the spec forbids reporting (`api_name` MUST NOT be one of them). */
const NOT_REPORTED = new Set(['discovery', 'echo', 'monitoring', 'registry']);
/** Characters of the client's own description sent (it names no person: scrubbed of personal codes too). */
const CLIENT_MESSAGE_CHARS = 500;

/**
 * Monitoring API 0.2 client: a failed call to a partner's API is reported to the EWP Stats Portal's
 * `monitoring` endpoint, found in the registry catalogue, as a signed request of the calling HEI
 * (`server_hei_id`, `api_name`, `endpoint_name`, `http_code`, `server_message`, `client_message`).
 * The spec: clients SHOULD report any problem with a server (an HTTP error, no answer, a response that
 * fails authentication or validation, an API missing from the catalogue that the server should have),
 * but not about Discovery or Echo, nor calls to the Stats Portal or the registry; "call and forget".
 * The same failure (partner, API, endpoint, status and error code) is reported at most once a period.
 * Without a Monitoring API in the catalogue nothing is sent.
 */
export class MonitoringReporter {
  private readonly sent = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly o: {
      registry: RegistryClient;
      call: (c: CallOptions) => Promise<CallResult>;
      logger: Logger;
      counter?: Counter;
      periodMs?: number;
      now?: () => number;
    },
  ) {}

  /** Reports a failed call in the background (never throws; `settled()` waits for it). */
  report(f: FailedCall): void {
    const p = this.send(f)
      .catch((e: unknown) => {
        this.o.counter?.inc({ outcome: 'failed' });
        this.o.logger.debug({ partner: f.to, api: MANIFEST_ENTRY[f.api].name }, `EWP monitoring report not delivered: ${scrub(errorMessage(e)).slice(0, 300)}`);
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for the reports under way. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private async send(f: FailedCall): Promise<void> {
    const name = MANIFEST_ENTRY[f.api].name;
    if (NOT_REPORTED.has(name) || f.to === STATS_PORTAL_HEI) return;
    // A CNR receiver is optional: a partner without one is not at fault.
    if (f.notInCatalogue && name.endsWith('-cnr')) return;
    const now = this.o.now?.() ?? Date.now();
    const period = this.o.periodMs ?? MONITORING_PERIOD_MS;
    const endpoint = f.urlElement === 'url' ? '' : f.urlElement.replace(/-url$/, '');
    const key = [f.from, f.to, name, endpoint, f.httpCode ?? '', f.code].join('\n');
    const last = this.sent.get(key);
    if (last !== undefined && now - last < period) {
      this.o.counter?.inc({ outcome: 'suppressed' });
      return;
    }
    const portal = await this.portal();
    if (!portal) {
      this.o.logger.debug({ partner: f.to, api: name }, 'no Monitoring API in the EWP registry catalogue; the failure is not reported');
      return;
    }
    this.sent.set(key, now);
    if (this.sent.size > 10_000) for (const [k, at] of this.sent) if (now - at >= period) this.sent.delete(k);
    const params: [string, string][] = [
      ['server_hei_id', f.to],
      ['api_name', name],
      ['endpoint_name', endpoint],
      ['http_code', f.httpCode !== undefined ? String(f.httpCode) : ''],
      // The content of the partner's developer-message when it answered 4xx/5xx with an error-response, else empty.
      ['server_message', f.httpCode !== undefined && f.httpCode >= 400 && f.serverMessage ? scrub(f.serverMessage) : ''],
      ['client_message', scrub(f.clientMessage).slice(0, CLIENT_MESSAGE_CHARS)],
    ];
    await this.o.call({ from: f.from, to: portal, api: 'monitoring', urlElement: 'url', params });
    this.o.counter?.inc({ outcome: 'sent' });
    this.o.logger.info({ partner: f.to, api: name, endpoint, httpCode: f.httpCode ?? null }, `reported a failed EWP call to ${f.to} (${name}) to the EWP monitoring`);
  }

  /** The HEI whose host serves the Monitoring API in the catalogue (the Stats Portal's, preferably). */
  private async portal(): Promise<string | undefined> {
    const m = MANIFEST_ENTRY.monitoring;
    const hosts = (await this.o.registry.catalogue()).hosts.filter((h) => h.apis.some((e) => e.ns === m.ns && e.local === m.name) && h.heis.length);
    return hosts.find((h) => h.heis.includes(STATS_PORTAL_HEI))?.heis.find((x) => x === STATS_PORTAL_HEI) ?? hosts[0]?.heis[0];
  }
}
