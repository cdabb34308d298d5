import { randomUUID } from 'node:crypto';
import { SinkError } from '../core/errors.ts';
import type { CanonicalRecord, JsonObject } from '../core/types.ts';
import type { RecordReader } from '../store/records.ts';
import { buildDegreeCredential, buildMicroCredential, credentialStatus, MICRO_CREDENTIAL_SCHEME, type AttainmentEntry, type IssuerInfo, type Localized } from './build.ts';
import type { Signer } from './keys.ts';
import type { CredentialKind, CredentialRegistry, CredentialSummary, StoredCredential } from './registry.ts';
import { seal } from './seal.ts';

/** What the issuer needs: records to read, its own tables, a signer and the issuer's data per institution, where status lists live. */
export interface IssuerDeps {
  reader: RecordReader;
  registry: CredentialRegistry;
  /** The institution's seal (throws ConfigError naming the missing files when it has none). */
  signer(heiId: string): Signer;
  issuerInfo(heiId: string): Promise<IssuerInfo>;
  /** The public URL of an institution's status list. */
  statusUrl(heiId: string, listNo: number): string;
  now?: () => Date;
}

/** What became of one award or attainment. */
export type IssueOutcome =
  | { outcome: 'issued'; id: string; subjectId: string }
  | { outcome: 'existing'; id: string; subjectId: string }
  | { outcome: 'revoked'; ids: string[]; subjectId: string }
  | { outcome: 'skipped'; reason: string; subjectId: string }
  | { outcome: 'failed'; error: Error; subjectId: string };

/** A credential built and checked, not yet given its status bit nor sealed. */
interface Prepared {
  record: CanonicalRecord;
  kind: CredentialKind;
  id: string;
  personId: string;
  title: Localized;
  credential: JsonObject;
}

type Ref = { id?: string; sourceId?: string; institution?: string };

const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);

/** Items grouped by a key, in the order of their first appearance. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const g = out.get(k);
    if (g) g.push(t);
    else out.set(k, [t]);
  }
  return out;
}

/** Whether an attainment is flagged as a micro-credential (an identifier of scheme `micro-credential`). */
export function isMicroCredential(attainment: JsonObject): boolean {
  return Array.isArray(attainment.identifiers) && attainment.identifiers.some((i) => obj(i)?.scheme === MICRO_CREDENTIAL_SCHEME);
}

function titleOf(v: unknown): Localized {
  return Array.isArray(v) ? (v as JsonObject[]).filter((t) => typeof t?.lang === 'string' && typeof t?.text === 'string').map((t) => ({ lang: String(t.lang), text: String(t.text) })) : [];
}

/**
 * Issues European Digital Credentials from committed records: a degree credential for an award (with the
 * programme and the attainments of the award's study right as its parts), a micro-credential for an
 * attainment flagged as one. Always from the record as it stands now: one credential per record version
 * (a second call finds it), a newer version replaces and revokes the older credential, a deleted record's
 * credential is revoked. Data a credential needs and the record lacks is a CredentialDataError naming
 * every missing field; nothing is stored then.
 */
export class CredentialIssuer {
  private readonly now: () => Date;

  constructor(private readonly deps: IssuerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** A change of an award or attainment, as a route delivers it. Throws what the delivery should report (data errors, a missing seal). */
  async handle(change: { entity: string; op: string; recordId: string }): Promise<IssueOutcome> {
    const subjectId = change.recordId;
    if (change.entity !== 'award' && change.entity !== 'attainment') return { outcome: 'skipped', reason: `${change.entity} records are not credentials`, subjectId };
    const record = await this.deps.reader.byId(subjectId, { entity: change.entity, withDeleted: true });
    if (change.op === 'delete' || record?.deleted) {
      const active = await this.deps.registry.activeOf(subjectId);
      if (!active) return { outcome: 'skipped', reason: 'deleted, and no credential was issued for it', subjectId };
      await this.deps.registry.revoke(active.id, `the ${change.entity} was withdrawn by ${active.institution}`, this.now().toISOString());
      return { outcome: 'revoked', ids: [active.id], subjectId };
    }
    if (!record) return { outcome: 'skipped', reason: 'the record is not held by the hub', subjectId };
    const out = (await this.issue([record]))[0]!;
    if (out.outcome === 'failed') throw out.error;
    return out;
  }

  /**
   * Issues credentials for several records of one institution at once (the back-catalogue): each is built
   * on its own (a failure is that record's outcome), the status positions of all are given out together,
   * each is sealed, and all are stored in one transaction.
   */
  async issue(records: readonly CanonicalRecord[]): Promise<IssueOutcome[]> {
    const outcomes = new Map<string, IssueOutcome>();
    const prepared: Prepared[] = [];
    // What is issued already, for the whole batch in one query: the same version (nothing to do) and the active one (to replace).
    const issued = new Map<string, string>();
    const active = new Map<string, CredentialSummary>();
    for (const c of await this.deps.registry.ofSubjects(records.map((r) => r.id))) {
      issued.set(`${c.subjectId}@${c.subjectVersion}`, c.id);
      if (c.status === 'active' && (active.get(c.subjectId)?.subjectVersion ?? 0) < c.subjectVersion) active.set(c.subjectId, c);
    }
    const lookups = new Lookups(this.deps.reader);
    await lookups.preload(records, 'person', 'person');
    await lookups.preload(
      records.filter((r) => r.entity === 'award'),
      'programme',
      'programme',
    );
    for (const r of records) {
      try {
        const existing = issued.get(`${r.id}@${r.version}`);
        if (existing) outcomes.set(r.id, { outcome: 'existing', id: existing, subjectId: r.id });
        else {
          const p = await this.prepare(r, lookups);
          if ('skipped' in p) outcomes.set(r.id, { outcome: 'skipped', reason: p.skipped, subjectId: r.id });
          else prepared.push(p);
        }
      } catch (e) {
        outcomes.set(r.id, { outcome: 'failed', error: e as Error, subjectId: r.id });
      }
    }
    for (const [institution, group] of groupBy(prepared, (p) => p.record.institution)) {
      let signer: Signer;
      try {
        signer = this.deps.signer(institution);
      } catch (e) {
        for (const p of group) outcomes.set(p.record.id, { outcome: 'failed', error: e as Error, subjectId: p.record.id });
        continue;
      }
      const positions = await this.deps.registry.allocate(institution, group.length);
      const now = this.now();
      const sealed: StoredCredential[] = [];
      for (const [i, p] of group.entries()) {
        const pos = positions[i]!;
        Object.assign(p.credential, credentialStatus({ url: this.deps.statusUrl(institution, pos.listNo), index: pos.index }));
        const replaced = active.get(p.record.id);
        sealed.push({
          id: p.id,
          institution,
          kind: p.kind,
          subjectId: p.record.id,
          subjectVersion: p.record.version,
          personId: p.personId,
          title: p.title,
          status: 'active',
          listNo: pos.listNo,
          listIndex: pos.index,
          issuedAt: now.toISOString(),
          ...(replaced ? { replaces: `urn:uuid:${replaced.id}` } : {}),
          identifiers: p.kind === 'degree' && typeof p.record.data.diplomaNumber === 'string' ? [{ scheme: 'diploma-number', value: p.record.data.diplomaNumber }] : [],
          sealed: JSON.stringify(await seal(p.credential, signer, now)),
        });
      }
      const stored = await this.deps.registry.insert(sealed);
      for (const [i, s] of stored.entries()) {
        const subjectId = sealed[i]!.subjectId;
        outcomes.set(subjectId, { outcome: s.created ? 'issued' : 'existing', id: s.id, subjectId });
      }
    }
    return records.map((r) => outcomes.get(r.id)!);
  }

  /** Reads what the credential needs and builds it (without its status bit); throws CredentialDataError for missing data. */
  private async prepare(record: CanonicalRecord, lookups: Lookups): Promise<Prepared | { skipped: string }> {
    const d = record.data;
    if (record.entity === 'attainment' && !isMicroCredential(d)) return { skipped: 'the attainment is not flagged as a micro-credential' };
    const person = await lookups.resolve('person', record, d.person);
    // Most likely the person record is on its way (sources send in their own order): tried again.
    if (!person) throw new SinkError(`cannot build the credential yet: the ${record.entity}'s person (/person) is not held by the hub`);
    const id = randomUUID();
    const common = { person: person.data, issuer: await this.deps.issuerInfo(record.institution), credentialId: `urn:uuid:${id}`, issuedAt: this.now() };
    if (record.entity === 'award') {
      const programme = await lookups.resolve('programme', record, d.programme);
      const attainments = await this.partsOf(record, lookups);
      const credential = buildDegreeCredential({ ...common, award: d, programme: programme?.data, attainments });
      return { record, kind: 'degree', id, personId: person.id, title: titleOf(d.title), credential };
    }
    const course = await lookups.resolve('course', record, d.course);
    const credential = buildMicroCredential({ ...common, attainment: d, course: course?.data });
    return { record, kind: 'micro-credential', id, personId: person.id, title: titleOf(course?.data.name), credential };
  }

  /** The attainments of the award's study right (with their courses), in date order. */
  private async partsOf(award: CanonicalRecord, lookups: Lookups): Promise<AttainmentEntry[]> {
    const sr = obj(award.data.studyRight) as Ref | undefined;
    if (!sr?.sourceId || (sr.institution && sr.institution !== award.institution)) return [];
    const found = await this.deps.reader.find({ entity: 'attainment', institution: award.institution, where: [{ field: 'studyRight.sourceId', equals: sr.sourceId }] });
    const mine = found.filter((a) => a.sourceSystem === award.sourceSystem).sort((a, b) => String(a.data.date).localeCompare(String(b.data.date)));
    const out: AttainmentEntry[] = [];
    for (const a of mine) out.push({ attainment: a.data, course: (await lookups.resolve('course', a, a.data.course))?.data });
    return out;
  }
}

/**
 * The records a batch refers to, read once each: persons and programmes of the whole batch in one query
 * per (institution, source system), courses and the rest as they are asked for, each kept for the batch.
 */
class Lookups {
  private readonly known = new Map<string, Promise<CanonicalRecord | undefined>>();

  constructor(private readonly reader: RecordReader) {}

  private static key(entity: string, institution: string, system: string | undefined, sourceId: string): string {
    return `${entity}\u0000${institution}\u0000${system ?? ''}\u0000${sourceId}`;
  }

  /** Reads the `field` references (by source id, same institution and system) of the records, in one query per institution and system. */
  async preload(records: readonly CanonicalRecord[], field: string, entity: string): Promise<void> {
    const groups = new Map<string, { institution: string; system: string; ids: Set<string> }>();
    for (const r of records) {
      const ref = obj(r.data[field]) as Ref | undefined;
      if (!ref?.sourceId || ref.id || (ref.institution !== undefined && ref.institution !== r.institution)) continue;
      const g = groups.get(`${r.institution}\u0000${r.sourceSystem}`) ?? { institution: r.institution, system: r.sourceSystem, ids: new Set<string>() };
      g.ids.add(ref.sourceId);
      groups.set(`${r.institution}\u0000${r.sourceSystem}`, g);
    }
    for (const g of groups.values()) {
      const ids = [...g.ids].filter((id) => !this.known.has(Lookups.key(entity, g.institution, g.system, id)));
      for (let i = 0; i < ids.length; i += 400) {
        const chunk = ids.slice(i, i + 400);
        const found = await this.reader.find({ entity, institution: g.institution, system: g.system, sourceIds: chunk });
        const by = new Map(found.map((f) => [f.sourceId, f]));
        for (const id of chunk) this.known.set(Lookups.key(entity, g.institution, g.system, id), Promise.resolve(by.get(id)));
      }
    }
  }

  /** A reference of a record: by hub id, or by source id in the same source system (another institution's when named). */
  resolve(entity: string, from: CanonicalRecord, ref: unknown): Promise<CanonicalRecord | undefined> {
    const r = obj(ref) as Ref | undefined;
    if (!r) return Promise.resolve(undefined);
    if (r.id) return this.reader.byId(r.id, { entity });
    if (!r.sourceId) return Promise.resolve(undefined);
    const other = r.institution !== undefined && r.institution !== from.institution;
    const institution = r.institution ?? from.institution;
    const key = Lookups.key(entity, institution, other ? undefined : from.sourceSystem, r.sourceId);
    let found = this.known.get(key);
    if (!found) {
      const q = { entity, institution, sourceId: r.sourceId, limit: 1 };
      found = this.reader.find(other ? q : { ...q, system: from.sourceSystem }).then((x) => x[0]);
      this.known.set(key, found);
    }
    return found;
  }
}
