import './config.ts';
import type { Logger } from 'pino';
import type { HubConfig } from '../config/types.ts';
import { ConfigError, NotFoundError } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import { RecordReader } from '../store/records.ts';
import type { SqlDb } from '../store/sql.ts';
import type { IssuerInfo } from './build.ts';
import { CredentialIssuer, groupBy, type IssueOutcome } from './issuer.ts';
import { fileSigner, readSealKeys, type Signer } from './keys.ts';
import { noticeOf } from './notice.ts';
import { CredentialRegistry, type CredentialQuery, type CredentialSummary, type StoredCredential } from './registry.ts';
import { seal } from './seal.ts';
import { parseStatusListUrl, statusListCredential, statusListPath } from './status-list.ts';
import { credentialKeysDir } from './trust.ts';

/** The port an `edc` sink drives (adapters/edc/): an award or attainment change → a credential. */
export interface CredentialPort {
  handle(change: { entity: string; op: string; recordId: string }): Promise<string>;
}

/** What an `edc` sink offers to be attached (duck-typed, as the `ewp-cnr` sink). */
interface CredentialAttachable {
  attachCredentials(port: CredentialPort): void;
}

export interface CredentialsDeps {
  sql: SqlDb;
  config: Pick<HubConfig, 'credentials' | 'institutions' | 'sinks' | 'sources'>;
  dataDir: string;
  logger: Logger;
  /** The hub's public address, when the config does not name one (http://localhost:<port>). */
  defaultPublicUrl: string;
  /** Writes canonical records through a source (the pipeline's ingest): the notices of issued and revoked credentials. */
  ingest(sourceId: string, entity: string, records: JsonObject[]): Promise<{ status: string; error?: { detail: string } | undefined }[]>;
  /** A configured sink by id (the module attaches itself to the `edc` sinks); absent in a process that delivers nothing (the CLI). */
  sink?: (id: string) => unknown;
  /** Issue, and write notices, in this process (workers); an API-only process reads, revokes and serves lists. */
  workers: boolean;
}

/** How often pending notices are written again (one that failed, a crash between issuing and writing it). */
const NOTICE_RETRY_MS = 5_000;

/**
 * Digital credentials (docs/credentials.md): issuing from awards and flagged attainments (an `edc`
 * route), the sealed credentials stored by id, revocation in each institution's status list, the
 * status lists themselves, and the notices (canonical `credential` records) that routes and feeds carry.
 */
export class Credentials {
  readonly registry: CredentialRegistry;
  readonly issuer: CredentialIssuer;
  readonly publicUrl: string;
  /** Time spent signing (the seal's share of issuing: bench/credentials.ts). */
  readonly signing = { ms: 0, count: 0 };
  private readonly reader: RecordReader;
  private readonly signers = new Map<string, Signer>();
  private readonly issuers = new Map<string, { info: IssuerInfo; at: number }>();
  private readonly keysDir: string;
  /** The source each institution's notices are written through (`credentials.sources`), by institution. */
  private readonly noticeSources: ReadonlyMap<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private again = false;

  private constructor(private readonly deps: CredentialsDeps) {
    this.registry = new CredentialRegistry(deps.sql);
    this.reader = new RecordReader(deps.sql);
    this.keysDir = credentialKeysDir(deps.config, deps.dataDir);
    this.noticeSources = new Map(
      (deps.config.credentials?.sources ?? []).flatMap((id) => {
        const institution = deps.config.sources.find((s) => s.id === id)?.institution;
        return institution ? [[institution, id] as const] : [];
      }),
    );
    this.publicUrl = (deps.config.credentials?.publicUrl ?? deps.defaultPublicUrl).replace(/\/+$/, '');
    this.issuer = new CredentialIssuer({
      reader: this.reader,
      registry: this.registry,
      signer: (heiId) => this.signer(heiId),
      issuerInfo: (heiId) => this.issuerInfo(heiId),
      statusUrl: (heiId, listNo) => this.statusUrl(heiId, listNo),
    });
  }

  static async start(deps: CredentialsDeps): Promise<Credentials> {
    const c = new Credentials(deps);
    await c.registry.migrate();
    const port: CredentialPort = { handle: (change) => c.handle(change) };
    for (const s of deps.sink ? deps.config.sinks.filter((x) => x.type === 'edc') : []) {
      const sink = deps.sink?.(s.id) as Partial<CredentialAttachable> | undefined;
      if (!sink?.attachCredentials) throw new ConfigError(`sink ${s.id} of type edc cannot be attached to the credentials module`);
      sink.attachCredentials(port);
    }
    if (deps.workers) {
      c.timer = setInterval(() => void c.flushNotices(), NOTICE_RETRY_MS);
      c.timer.unref();
    }
    return c;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
  }

  /** The seal of an institution, read once (files replaced take a restart). */
  signer(heiId: string): Signer {
    let s = this.signers.get(heiId);
    if (!s) {
      try {
        const inner = fileSigner(readSealKeys(this.keysDir, heiId));
        const stats = this.signing;
        s = {
          ...inner,
          async sign(bytes) {
            const t0 = performance.now();
            const out = await inner.sign(bytes);
            stats.ms += performance.now() - t0;
            stats.count++;
            return out;
          },
        };
      } catch (e) {
        if (e instanceof ConfigError) throw new ConfigError(`${e.message} (npx hub credentials keys --institution ${heiId} makes a development seal)`, { cause: e });
        throw e;
      }
      this.signers.set(heiId, s);
    }
    return s;
  }

  /** The issuing institution as a credential names it: its organisation record (lv/en names, website) when held, else the config's name. Kept 5 minutes. */
  private async issuerInfo(heiId: string): Promise<IssuerInfo> {
    const known = this.issuers.get(heiId);
    if (known && Date.now() - known.at < 300_000) return known.info;
    const [org] = await this.reader.find({ entity: 'organisation', institution: heiId, where: [{ field: 'type', equals: 'institution' }], limit: 1 });
    const configured = this.deps.config.institutions.find((i) => i.id === heiId);
    const names = Array.isArray(org?.data.name) ? (org.data.name as { lang: string; text: string }[]) : [];
    const info: IssuerInfo = {
      heiId,
      name: names.length ? names : [{ lang: 'lv', text: configured?.name ?? heiId }],
      ...(typeof org?.data.website === 'string' ? { homepage: org.data.website } : {}),
    };
    this.issuers.set(heiId, { info, at: Date.now() });
    return info;
  }

  statusUrl(heiId: string, listNo: number): string {
    return `${this.publicUrl}${statusListPath(heiId, listNo)}`;
  }

  /** An award or attainment change from an `edc` route: issue, replace or revoke; the delivery's detail. */
  private async handle(change: { entity: string; op: string; recordId: string }): Promise<string> {
    const out = await this.issuer.handle(change);
    void this.flushNotices();
    return describe(out);
  }

  /** Issues for records (the back-catalogue command); notices are written afterwards. */
  async issue(records: Parameters<CredentialIssuer['issue']>[0]): Promise<IssueOutcome[]> {
    return this.issuer.issue(records);
  }

  /** The active digital diplomas of awards, by award record id (the ELMO attaches them). */
  async diplomasOf(awardIds: readonly string[]): Promise<Map<string, { id: string; sealed: string }>> {
    const out = new Map<string, { id: string; sealed: string }>();
    for (const c of await this.registry.activeOfSubjects(awardIds)) if (c.kind === 'degree') out.set(c.subjectId, { id: c.id, sealed: c.sealed });
    return out;
  }

  async get(id: string): Promise<StoredCredential | undefined> {
    return this.registry.get(id);
  }

  async list(q: CredentialQuery): Promise<CredentialSummary[]> {
    return this.registry.list(q);
  }

  /** Revokes a credential (admin, with a reason): its bit is set at once; false when it was not active. */
  async revoke(id: string, reason: string): Promise<boolean> {
    const done = await this.registry.revoke(id, reason, new Date().toISOString());
    if (done) void this.flushNotices();
    return done;
  }

  /** An institution's status list as a sealed credential (JWS JSON), or undefined when there is no such list. */
  async statusList(heiId: string, listNo: number, now = new Date()): Promise<string | undefined> {
    if (!this.deps.config.institutions.some((i) => i.id === heiId) || !(await this.registry.hasList(heiId, listNo))) return undefined;
    const vc = statusListCredential({ url: this.statusUrl(heiId, listNo), heiId, revoked: await this.registry.revokedIndexes(heiId, listNo), validFrom: now });
    return JSON.stringify(await seal(vc, this.signer(heiId), now));
  }

  /** The verifier's status lookup: lists of this hub are read from its tables at once; another's are not fetched. */
  readonly isRevoked = async (url: string, index: number): Promise<boolean> => {
    const at = parseStatusListUrl(url);
    if (!at || !url.startsWith(`${this.publicUrl}/`) || !this.deps.config.institutions.some((i) => i.id === at.heiId)) {
      throw new NotFoundError(`${url} is not a status list of this hub (lists elsewhere are not fetched)`);
    }
    if (!(await this.registry.hasList(at.heiId, at.listNo))) throw new NotFoundError(`this hub has no status list ${at.listNo} of ${at.heiId}`);
    return this.registry.isRevoked(at.heiId, at.listNo, index);
  };

  /** Writes the notices not yet in the change log through each institution's credential source; one run at a time. */
  flushNotices(): Promise<void> {
    if (this.flushing) {
      // A run is under way and may have read the pending notices before this one: run once more after it.
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        await this.writeNotices().catch((e: unknown) => this.deps.logger.warn({ err: e }, 'notices of credentials could not be written; they are tried again'));
      } while (this.again);
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async writeNotices(): Promise<void> {
    const sources = this.noticeSources;
    for (;;) {
      const pending = await this.registry.pendingNotices([...sources.keys()], 200);
      if (!pending.length) return;
      const sent: { id: string; status: CredentialSummary['status'] }[] = [];
      for (const [institution, group] of groupBy(pending, (c) => c.institution)) {
        const persons = await this.reader.find({ entity: 'person', ids: [...new Set(group.map((c) => c.personId))], withDeleted: true });
        const numbers = new Map(persons.map((p) => [p.id, (Array.isArray(p.data.identifiers) ? (p.data.identifiers as JsonObject[]) : []).filter((i) => i.scheme === 'student-number')]));
        const results = await this.deps.ingest(
          sources.get(institution)!,
          'credential',
          group.map((c) => noticeOf(c, this.statusUrl(c.institution, c.listNo), numbers.get(c.personId))),
        );
        for (const [i, r] of results.entries()) {
          if (r.status === 'rejected') this.deps.logger.warn({ credential: group[i]!.id }, `the notice of a credential was rejected: ${r.error?.detail ?? ''}`);
          else sent.push({ id: group[i]!.id, status: group[i]!.status });
        }
      }
      await this.registry.noticesSent(sent);
      if (sent.length < pending.length || pending.length < 200) return;
    }
  }
}

function describe(o: IssueOutcome): string {
  switch (o.outcome) {
    case 'issued':
      return `credential urn:uuid:${o.id} issued`;
    case 'existing':
      return `credential urn:uuid:${o.id} was issued already`;
    case 'revoked':
      return `credential ${o.ids.map((i) => `urn:uuid:${i}`).join(', ')} revoked`;
    case 'skipped':
      return `no credential: ${o.reason}`;
    case 'failed':
      return `failed: ${o.error.message}`;
  }
}
