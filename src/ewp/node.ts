import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { ConfigError } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import { EwpClient } from './client/http.ts';
import { MonitoringReporter } from './client/monitoring.ts';
import { CnrInbox } from './cnr/inbox.ts';
import { PartnerFailures, type FailingPartner } from './cnr/partner-failures.ts';
import { Outbound } from './cnr/outbound.ts';
import { CnrSender } from './cnr/sender.ts';
import { EwpRecords, identifier, type Rec } from './data.ts';
import type { EwpDeps } from './deps.ts';
import { loadFactsheet, type Factsheet } from './factsheet-file.ts';
import { RegistryClient } from './registry/client.ts';
import { KeyStore, type EwpKey } from './security/keys.ts';
import { ReplayCache } from './security/replay.ts';
import type { EwpServices } from './services.ts';
import { resolveEwpSettings, type EwpHei, type EwpSettings } from './settings.ts';

/** What a duck-typed `ewp-cnr` sink accepts (adapters/ewp/): the node's outbound side. */
export interface EwpAttachable {
  attachEwp(outbound: Outbound): void;
}

/**
 * The hub as the EWP node of the HEIs in the config's `ewp` section: keys, registry client,
 * replay cache, signed client, the CNR inbox (fetch what partners announce, ingest it) and the
 * outbound side the `ewp-cnr` sink drives (CNRs, LA and IIA approvals for local changes).
 * It takes what it uses of the hub as `EwpDeps`; its parts see it as `EwpServices`.
 */
export class EwpNode implements EwpServices {
  readonly logger: Logger;
  readonly keys: KeyStore;
  readonly registry: RegistryClient;
  readonly replay: ReplayCache;
  readonly reader: EwpRecords;
  readonly client: EwpClient;
  readonly inbox: CnrInbox;
  readonly outbound: Outbound;
  readonly sender: CnrSender;
  readonly serverKey: EwpKey;
  readonly metrics: { authFailures: Counter; cnrSent: Counter; cnrReceived: Counter; partnerFailures: Counter; monitoringReports: Counter };
  /** Failed calls to partners reported to the EWP Stats Portal (Monitoring API 0.2). */
  readonly monitoring: MonitoringReporter;
  readonly partnerFailures: PartnerFailures;
  readonly factsheets = new Map<string, Factsheet>();

  private constructor(
    readonly deps: EwpDeps,
    readonly settings: EwpSettings,
  ) {
    this.logger = deps.logger;
    for (const h of settings.heis.values()) if (h.factsheetFile) this.factsheets.set(h.id, loadFactsheet(h.factsheetFile, deps.ajv));
    this.keys = new KeyStore(settings.keysDir);
    const created: string[] = [];
    for (const id of settings.heis.keys()) if (this.keys.clientKey(id).created) created.push(`client-${id}`);
    const server = this.keys.serverKey();
    if (server.created) created.push('server');
    this.serverKey = server.key;
    if (created.length) deps.logger.warn({ keys: created, dir: settings.keysDir }, 'generated new EWP keys; publish the manifests (hub ewp keys) so the registry lists them');
    this.registry = new RegistryClient({ url: settings.registryUrl, cacheDir: settings.cacheDir, logger: deps.logger.child({ component: 'ewp-registry' }) });
    this.replay = new ReplayCache(deps.sql, settings.clockSkewMs);
    this.reader = new EwpRecords(deps.sql);
    this.client = new EwpClient({
      registry: this.registry,
      keyOf: (h) => this.clientKey(h),
      skewMs: settings.clockSkewMs,
      logger: deps.logger.child({ component: 'ewp-client' }),
      onFailure: (f) => this.monitoring.report(f),
    });
    const reg = deps.metrics;
    this.metrics = {
      authFailures: new Counter({ name: 'hub_ewp_auth_failures_total', help: 'EWP requests refused by the HTTP Signature check, by status', labelNames: ['status'], registers: [reg] }),
      cnrSent: new Counter({ name: 'hub_ewp_cnr_sent_total', help: 'CNRs sent to partners, by API and outcome', labelNames: ['api', 'outcome'], registers: [reg] }),
      cnrReceived: new Counter({ name: 'hub_ewp_cnr_received_total', help: 'CNRs received from partners, by API', labelNames: ['api'], registers: [reg] }),
      partnerFailures: new Counter({
        name: 'hub_ewp_partner_failures_total',
        help: 'Failed calls to EWP partners (fetching what they announced, sending CNRs), by partner, direction and error code',
        labelNames: ['partner', 'direction', 'code'],
        registers: [reg],
      }),
      monitoringReports: new Counter({
        name: 'hub_ewp_monitoring_reports_total',
        help: 'Failed partner calls reported to the EWP Monitoring API, by outcome (sent, suppressed: the same failure already reported this period, failed)',
        labelNames: ['outcome'],
        registers: [reg],
      }),
    };
    this.monitoring = new MonitoringReporter({
      registry: this.registry,
      call: (c) => this.client.call(c),
      logger: deps.logger.child({ component: 'ewp-monitoring' }),
      counter: this.metrics.monitoringReports,
    });
    this.partnerFailures = new PartnerFailures(deps.logger, this.metrics.partnerFailures);
    this.inbox = new CnrInbox(this);
    this.sender = new CnrSender(this);
    this.outbound = new Outbound(this);
  }

  /** Partners whose calls fail now, both ways (admin dashboard). */
  async failingPartners(): Promise<FailingPartner[]> {
    return [...(await this.inbox.failing()), ...(await this.sender.failing())];
  }

  /** Builds the node when the config has an `ewp` section; migrates its tables; starts the inbox worker (not in API-only processes). */
  static async start(deps: EwpDeps): Promise<EwpNode | undefined> {
    const settings = resolveEwpSettings(deps.config, deps.dataDir);
    if (!settings) return undefined;
    const node = new EwpNode(deps, settings);
    await ReplayCache.migrate(deps.sql);
    await CnrInbox.migrate(deps.sql);
    await CnrSender.migrate(deps.sql);
    for (const s of deps.config.sinks.filter((x) => x.type === 'ewp-cnr')) {
      const sink = deps.sink(s.id) as Partial<EwpAttachable> | undefined;
      if (!sink?.attachEwp) throw new ConfigError(`sink ${s.id} of type ewp-cnr cannot be attached to the EWP node`);
      sink.attachEwp(node.outbound);
    }
    if (deps.workers) {
      node.inbox.start();
      node.sender.start();
    }
    return node;
  }

  async stop(): Promise<void> {
    await this.inbox.stop();
    await this.sender.stop();
    await this.monitoring.settled();
  }

  clientKey(heiId: string): EwpKey {
    if (!this.settings.heis.has(heiId)) throw new ConfigError(`${heiId} is not an EWP HEI of this hub`);
    return this.keys.clientKey(heiId).key;
  }

  /** Records of the HEI's own data (partner copies written by the EWP source left out). */
  own(entity: string, hei: EwpHei, field?: [string, string]): Promise<Rec[]> {
    return this.reader.list(entity, hei.id, { notSystem: hei.sourceSystem, ...(field ? { field } : {}) });
  }

  /** Partner copies and EWP decisions that the node wrote through the HEI's EWP source. */
  copies(entity: string, hei: EwpHei, field?: [string, string]): Promise<Rec[]> {
    return this.reader.list(entity, hei.id, { system: hei.sourceSystem, ...(field ? { field } : {}) });
  }

  /** The HEI's organisation record (type institution, schac identifier = the HEI id), if any. */
  async institutionRecord(hei: EwpHei): Promise<Rec | undefined> {
    const orgs = await this.own('organisation', hei);
    return orgs.find((o) => o.data.type === 'institution' && identifier(o.data, 'schac') === hei.id);
  }

  /**
   * Deletes partner copies through the HEI's EWP source: the pipeline keeps a message per deletion and
   * commits it with op delete, so the message browser, the feeds and the routes see it like any change.
   */
  async removeCopies(hei: EwpHei, entity: string, sourceIds: string[]): Promise<number> {
    if (!sourceIds.length) return 0;
    const results = await this.deps.remove(hei.source.id, entity, sourceIds);
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length) this.logger.warn({ hei: hei.id, entity, messages: failed.map((r) => r.messageId), first: failed[0]?.error?.detail }, 'deleting a partner copy failed');
    return results.filter((r) => r.status === 'committed').length;
  }

  /**
   * Writes canonical records through the HEI's EWP source (mapping set canonical): the pipeline
   * stores, validates and commits them like any other input. Rejected records stay as rejected
   * messages with their reasons; the ids of those are returned for the caller's log.
   */
  async ingest(hei: EwpHei, entity: string, records: JsonObject[]): Promise<{ committed: number; rejected: string[] }> {
    if (!records.length) return { committed: 0, rejected: [] };
    const results = await this.deps.ingest(hei.source.id, entity, records);
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => r.messageId);
    if (rejected.length) this.logger.warn({ hei: hei.id, entity, messages: rejected, first: results.find((r) => r.error)?.error?.detail }, 'EWP data from a partner was rejected by the pipeline');
    return { committed: results.length - rejected.length, rejected };
  }
}
