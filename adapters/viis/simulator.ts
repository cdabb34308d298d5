import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from 'soap';
import { NotFoundError, RegisterRejectedError } from '../../src/core/errors.ts';
import { isValidPersonalCode } from '../../src/core/personal-code.ts';
import { BUNDLED_WSDL } from './client.ts';
import { CREDENTIAL, entityOfKind, normalize, VIIS_NAMESPACE, type Holdings, type Receipt, type Submitter, type SubmitterRef, type ViisRecord } from './records.ts';
import { checkAward, checkDigitalDiploma, checkPerson, checkRevocation, checkStudyRight, registerRejection, type HeldDiploma, type RegisterState, type StoredDiploma } from './rules.ts';

export type TransportFault = 'http-503' | 'drop' | 'server-fault';

export interface ViisSimulatorOptions {
  /** Programme codes the register knows (accredited programmes). */
  programmes?: string[];
  /** Every answer waits this long (ms). */
  latencyMs?: number;
  /** Every `every`-th request answers `ms` later than the others (a register that is slow at times). */
  slow?: { every: number; ms: number };
  /** Require HTTP Basic credentials (the production register sits behind an API gateway). */
  basicAuth?: { username: string; password: string };
  /** URL path of the service. */
  path?: string;
}

export interface SimulatorLogEntry {
  operation: string;
  institution: string;
  submissionId: string | undefined;
  outcome: 'accepted' | 'duplicate' | 'ignored-older' | 'withdrawn' | 'rejected' | 'listed';
  code?: string;
}

interface Stored {
  institution: string;
  record: ViisRecord;
}

type Outcome = Receipt['status'] | { status: Receipt['status']; registerNumber: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const key = (institution: string, localId: string) => `${institution}\u0000${localId}`;

function fault(code: string, reason: string, field?: string) {
  return {
    Fault: {
      faultcode: 'soap:Client',
      faultstring: `${code}: ${reason}`,
      detail: { RegisterFault: { attributes: { xmlns: VIIS_NAMESPACE }, code, reason, ...(field ? { field } : {}) } },
      statusCode: 500,
    },
  };
}

const SERVER_FAULT = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>register database unavailable</faultstring></soap:Fault></soap:Body></soap:Envelope>`;

/**
 * A VIIS student register for tests and the demo: a real SOAP server (the `soap` package on node:http)
 * with the bundled WSDL. It keeps its records in memory and checks submissions the way a register
 * would (rules.ts): an unknown programme code, a study right for an unknown person, overlapping status
 * periods… are SOAP faults with a RegisterFault detail (code VIIS-nnn and the reason). Digital diplomas
 * are kept by credential id with the register number their first receipt gave. It can be made
 * slow, made to fail at the transport level, and asked what it holds (ListHoldings).
 */
export class ViisSimulator implements RegisterState {
  readonly persons = new Map<string, Stored>();
  readonly studyRights = new Map<string, Stored>();
  readonly awards = new Map<string, Stored>();
  readonly digitalDiplomas = new Map<string, StoredDiploma>();
  readonly programmes: Set<string>;
  readonly log: SimulatorLogEntry[] = [];
  private readonly receipts = new Map<string, Receipt>();
  private readonly faults: TransportFault[] = [];
  private server: http.Server | undefined;
  private requests = 0;
  private receiptSeq = 0;
  private diplomaSeq = 0;
  private latencyMs: number;
  private slow: { every: number; ms: number } | undefined;
  readonly path: string;
  url = '';

  constructor(private readonly opts: ViisSimulatorOptions = {}) {
    this.programmes = new Set(opts.programmes ?? []);
    this.latencyMs = opts.latencyMs ?? 0;
    this.slow = opts.slow;
    this.path = opts.path ?? '/viis/studenti';
  }

  /** Listens on host:port (0 = any free port); resolves with the service URL. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url?.endsWith('/viis.xsd')) {
        res.setHeader('content-type', 'text/xml; charset=utf-8');
        res.end(readFileSync(new URL('./viis.xsd', import.meta.url)));
        return;
      }
      res.statusCode = 404;
      res.end('not found');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    await new Promise<void>((resolve, reject) => {
      const s = listen(server, {
        path: this.path,
        services: this.services(),
        xml: readFileSync(BUNDLED_WSDL, 'utf8'),
        uri: BUNDLED_WSDL,
        suppressStack: true,
        callback: (err: unknown) => (err ? reject(err as Error) : resolve()),
      });
      s.authorizeConnection = (req, res) => (res ? this.gate(req, res) : true);
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    this.url = `http://${host}:${a.port}${this.path}`;
    return this.url;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  addProgramme(code: string): void {
    this.programmes.add(code);
  }

  /** The next n requests fail at the transport level (503, a dropped connection, or a soap:Server fault). */
  failNext(n: number, kind: TransportFault): void {
    for (let i = 0; i < n; i++) this.faults.push(kind);
  }

  setLatency(ms: number, slow?: { every: number; ms: number }): void {
    this.latencyMs = ms;
    this.slow = slow;
  }

  /** What the register holds for an institution (the same answer ListHoldings gives over SOAP). */
  holdings(institution: string): Holdings {
    const of = (m: Map<string, Stored>) => [...m.values()].filter((s) => s.institution === institution).map((s) => s.record);
    return { person: of(this.persons), studyRight: of(this.studyRights), award: of(this.awards) };
  }

  /** The digital diploma the register holds under this credential id, if any. */
  digitalDiploma(institution: string, credentialId: string): HeldDiploma | undefined {
    return this.digitalDiplomas.get(key(institution, credentialId))?.record;
  }

  /** Changes a held record behind the hub's back (for reconciliation tests). */
  tamper(kind: 'person' | 'studyRight' | 'award', institution: string, localId: string, change: (r: ViisRecord) => ViisRecord | undefined): void {
    const m = kind === 'person' ? this.persons : kind === 'studyRight' ? this.studyRights : this.awards;
    const k = key(institution, localId);
    const s = m.get(k);
    if (!s) throw new NotFoundError(`simulator holds no ${kind} ${localId}`);
    const next = change(structuredClone(s.record));
    if (next) m.set(k, { ...s, record: next });
    else m.delete(k);
  }

  private gate(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (req.method !== 'POST') return true;
    if (this.opts.basicAuth) {
      const want = `Basic ${Buffer.from(`${this.opts.basicAuth.username}:${this.opts.basicAuth.password}`).toString('base64')}`;
      if (req.headers.authorization !== want) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="VIIS"' }).end('unauthorized');
        return false;
      }
    }
    const f = this.faults.shift();
    if (f === 'http-503') {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('service unavailable');
      return false;
    }
    if (f === 'drop') {
      req.socket.destroy();
      return false;
    }
    if (f === 'server-fault') {
      res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' }).end(SERVER_FAULT);
      return false;
    }
    return true;
  }

  private async pause(): Promise<void> {
    this.requests++;
    const extra = this.slow && this.slow.every > 0 && this.requests % this.slow.every === 0 ? this.slow.ms : 0;
    if (this.latencyMs + extra > 0) await sleep(this.latencyMs + extra);
  }

  private receipt(outcome: Outcome): Receipt {
    const { status, registerNumber } = typeof outcome === 'string' ? { status: outcome, registerNumber: undefined } : outcome;
    return {
      receiptId: `VIIS-R-${String(++this.receiptSeq).padStart(8, '0')}`,
      status,
      registeredAt: new Date().toISOString(),
      duplicate: false,
      ...(registerNumber ? { registerNumber } : {}),
    };
  }

  private submitter(args: Record<string, unknown>): Submitter {
    const s = (args.submitter ?? {}) as Partial<Submitter>;
    if (!s.institution || !s.system || !s.submissionId) throw registerRejection('VIIS-001', 'the submitter (institution, system, submissionId) is incomplete', 'submitter');
    return { institution: String(s.institution), system: String(s.system), submissionId: String(s.submissionId) };
  }

  /** Runs one submission: idempotent by submissionId, rules checked, stored; rejections become SOAP faults. */
  private async submit(operation: string, rawArgs: unknown, apply: (s: Submitter, args: Record<string, unknown>) => Outcome) {
    await this.pause();
    const args = normalize(rawArgs ?? {}) as Record<string, unknown>;
    let sub: Submitter | undefined;
    try {
      sub = this.submitter(args);
      const seen = this.receipts.get(sub.submissionId);
      if (seen) {
        this.log.push({ operation, institution: sub.institution, submissionId: sub.submissionId, outcome: 'duplicate' });
        return { receipt: { ...seen, duplicate: true } };
      }
      const r = this.receipt(apply(sub, args));
      const status = r.status;
      this.receipts.set(sub.submissionId, r);
      const outcome = status === 'IGNORED_OLDER' ? 'ignored-older' : status === 'WITHDRAWN' ? 'withdrawn' : 'accepted';
      this.log.push({ operation, institution: sub.institution, submissionId: sub.submissionId, outcome });
      return { receipt: r };
    } catch (e) {
      if (!(e instanceof RegisterRejectedError)) throw e;
      this.log.push({ operation, institution: sub?.institution ?? '', submissionId: sub?.submissionId, outcome: 'rejected', code: e.registerCode });
      throw fault(e.registerCode, e.reason, e.field);
    }
  }

  /** Stores a checked record unless the register already holds a newer version of it. */
  private store(m: Map<string, Stored>, institution: string, record: ViisRecord): Receipt['status'] {
    const k = key(institution, record.localId);
    const held = m.get(k)?.record.submitterRef;
    const ref = record.submitterRef as SubmitterRef;
    if (held && held.recordId === ref.recordId && held.version > ref.version) return 'IGNORED_OLDER';
    m.set(k, { institution, record });
    return 'ACCEPTED';
  }

  /**
   * Registers a digital diploma (or updates it: a newer version of the hub's record). The register
   * number of the first registration stays, and so does a revocation: a revoked diploma is not
   * made valid again by a late or repeated registration.
   */
  private registerDiploma(institution: string, input: unknown): Outcome {
    const rec = checkDigitalDiploma(this, institution, input);
    const k = key(institution, rec.credentialId);
    const held = this.digitalDiplomas.get(k)?.record;
    if (held && held.submitterRef.recordId === rec.submitterRef.recordId && held.submitterRef.version > rec.submitterRef.version) {
      return { status: 'IGNORED_OLDER', registerNumber: held.registerNumber ?? '' };
    }
    const registerNumber = held?.registerNumber ?? `VIIS-DD-${String(++this.diplomaSeq).padStart(8, '0')}`;
    this.digitalDiplomas.set(k, { institution, record: { ...rec, registerNumber, ...(held?.revocation ? { revocation: held.revocation } : {}) } });
    return { status: 'ACCEPTED', registerNumber };
  }

  /** Revokes a held digital diploma; a revocation is final (a repeated one keeps the first date and reason). */
  private revokeDiploma(institution: string, args: Record<string, unknown>): Outcome {
    const { held, revokedAt, reason } = checkRevocation(this, institution, args);
    if (!held.record.revocation) held.record.revocation = { revokedAt, ...(reason ? { reason } : {}) };
    return { status: 'ACCEPTED', registerNumber: held.record.registerNumber ?? '' };
  }

  private services() {
    const port = {
      RegisterPerson: (a: unknown) =>
        this.submit('RegisterPerson', a, (s, args) => {
          const rec = checkPerson(this, s.institution, args.person, isValidPersonalCode);
          return this.store(this.persons, s.institution, rec);
        }),
      RegisterStudyRight: (a: unknown) => this.submit('RegisterStudyRight', a, (s, args) => this.store(this.studyRights, s.institution, checkStudyRight(this, s.institution, args.studyRight))),
      RegisterAward: (a: unknown) => this.submit('RegisterAward', a, (s, args) => this.store(this.awards, s.institution, checkAward(this, s.institution, args.award))),
      RegisterDigitalDiploma: (a: unknown) => this.submit('RegisterDigitalDiploma', a, (s, args) => this.registerDiploma(s.institution, args.digitalDiploma)),
      RevokeDigitalDiploma: (a: unknown) => this.submit('RevokeDigitalDiploma', a, (s, args) => this.revokeDiploma(s.institution, args)),
      WithdrawRecord: (a: unknown) =>
        this.submit('WithdrawRecord', a, (s, args) => {
          if (args.kind === CREDENTIAL.kind) {
            const hit = [...this.digitalDiplomas.entries()].find(([, v]) => v.institution === s.institution && v.record.submitterRef.recordId === args.recordId);
            if (!hit) throw registerRejection('VIIS-401', 'the register holds no such record of this institution', 'recordId');
            this.digitalDiplomas.delete(hit[0]);
            return 'WITHDRAWN';
          }
          const entity = entityOfKind(String(args.kind ?? ''));
          if (!entity) throw registerRejection('VIIS-001', `unknown record kind '${String(args.kind)}'`, 'kind');
          const m = entity === 'person' ? this.persons : entity === 'study-right' ? this.studyRights : this.awards;
          const hit = [...m.entries()].find(([, v]) => v.institution === s.institution && v.record.submitterRef?.recordId === args.recordId);
          if (!hit) throw registerRejection('VIIS-401', 'the register holds no such record of this institution', 'recordId');
          if (entity === 'person') {
            const localId = hit[1].record.localId;
            if ([...this.studyRights.values()].some((v) => v.institution === s.institution && v.record.personLocalId === localId)) {
              throw registerRejection('VIIS-402', 'the person has study rights: withdraw them first', 'recordId');
            }
          }
          m.delete(hit[0]);
          return 'WITHDRAWN';
        }),
      ListHoldings: async (a: unknown) => {
        await this.pause();
        const args = normalize(a ?? {}) as { institution?: string; kind?: string };
        if (!args.institution) throw fault('VIIS-001', 'institution is required', 'institution');
        const h = this.holdings(args.institution);
        const entity = args.kind ? entityOfKind(args.kind) : undefined;
        this.log.push({ operation: 'ListHoldings', institution: args.institution, submissionId: undefined, outcome: 'listed' });
        return {
          ...(!entity || entity === 'person' ? { person: h.person } : {}),
          ...(!entity || entity === 'study-right' ? { studyRight: h.studyRight } : {}),
          ...(!entity || entity === 'award' ? { award: h.award } : {}),
        };
      },
    };
    return { StudentRegisterService: { StudentRegisterSoap11: port } };
  }
}

/** `npx tsx adapters/viis/simulator.ts [port] [programme codes…]`: a register to point a VIIS sink at. */
async function main(argv: string[]): Promise<void> {
  const port = Number(argv[0] ?? 8089);
  const programmes = argv.slice(1);
  const sim = new ViisSimulator({ programmes: programmes.length ? programmes : ['43481001', '42523002', '45481001'], slow: { every: 10, ms: 1500 } });
  const url = await sim.start(port, '127.0.0.1');
  console.log(`VIIS simulator at ${url} (WSDL: ${url}?wsdl); programmes: ${[...sim.programmes].join(', ')}`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main(process.argv.slice(2));
}
