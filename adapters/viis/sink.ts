import type { DeliveryContext, DeliveryReceipt, HeldRecord, ReconcilableSink, ReconcileView } from '../../src/core/adapter.ts';
import { RegisterRejectedError, SinkError, SinkRejectedError } from '../../src/core/errors.ts';
import type { CanonicalRecord, ChangeEvent, JsonObject } from '../../src/core/types.ts';
import type { ViisClient } from './client.ts';
import type { RequestMapper } from './mapping.ts';
import { content, CREDENTIAL, isViisEntity, KINDS, type Holdings, type Receipt, type Submitter, type ViisEntity, type ViisRecord } from './records.ts';

export interface ViisSinkOptions {
  /** Submitting system's name, sent with every submission. */
  system: string;
  /** SCHAC code → the institution's code in the register (default: the SCHAC code). */
  institutionCodes: Record<string, string>;
  /** Per institution: local programme id → register programme code. */
  programmeCodes: Record<string, Record<string, string>>;
  /**
   * Register codes that mean "a record this one refers to is not there yet" (a study right that
   * overtook its person): retried with the route's backoff instead of dead-lettered at once.
   */
  retryCodes: readonly string[];
}

const HOLDING_LISTS: { list: keyof Holdings; entity: ViisEntity }[] = [
  { list: 'person', entity: 'person' },
  { list: 'studyRight', entity: 'study-right' },
  { list: 'award', entity: 'award' },
];

function describe(r: Receipt, what = r.status === 'IGNORED_OLDER' ? 'kept its newer version' : r.status === 'WITHDRAWN' ? 'withdrew the record' : 'accepted'): string {
  const number = r.registerNumber ? `, digital diploma ${r.registerNumber}` : '';
  return `VIIS ${what}: receipt ${r.receiptId}${number}${r.duplicate ? ' (a resent submission; first receipt)' : ''}`;
}

/** What the sink answers for a micro-credential: delivered, without calling the register. */
export const NOT_A_DIPLOMA = 'not a diploma: nothing for VIIS';

/**
 * Delivers persons, study rights, awards and the notices of digital diplomas (canonical `credential`
 * records of kind degree) to the VIIS student register. A delivery is done when
 * the register's receipt is back. A business rejection (SOAP fault with a RegisterFault) is a
 * SinkRejectedError carrying the register's code and reason: not retried, dead-lettered, replayable
 * after the fix. Transport failures (timeouts, refused connections, HTTP errors, server faults) are
 * SinkErrors, retried with the route's backoff. The submission id is the event id, so a resent
 * submission gets the register's first receipt.
 */
export class ViisSink implements ReconcilableSink {
  readonly reconcile: ReconcileView;

  constructor(
    private readonly client: ViisClient,
    private readonly mapper: RequestMapper,
    private readonly o: ViisSinkOptions,
  ) {
    this.reconcile = {
      entities: Object.keys(KINDS),
      expected: (r) => this.expected(r),
      holdings: (i) => this.holdings(i),
    };
  }

  private registerCode(institution: string): string {
    return this.o.institutionCodes[institution] ?? institution;
  }

  /** The register record for a canonical record, without the submitter reference. */
  async request(entity: ViisEntity, record: JsonObject, institution: string): Promise<ViisRecord> {
    return this.mapper.map(entity, record, { institution, programmeCodes: this.o.programmeCodes[institution] ?? {} });
  }

  async deliver(event: ChangeEvent, ctx: DeliveryContext): Promise<DeliveryReceipt> {
    const entity = event.entity;
    const credential = entity === CREDENTIAL.entity;
    if (!isViisEntity(entity) && !credential) {
      throw new SinkRejectedError(`VIIS keeps persons, study rights, awards and digital diplomas (credential), not '${entity}': narrow the route's match.entities`);
    }
    const submitter = { institution: this.registerCode(event.institution), system: this.o.system, submissionId: ctx.idempotencyKey };
    try {
      if (event.op === 'delete') {
        try {
          return { detail: describe(await this.client.withdraw(submitter, credential ? CREDENTIAL.kind : KINDS[entity as ViisEntity].kind, event.recordId)) };
        } catch (e) {
          if (e instanceof RegisterRejectedError && e.registerCode === 'VIIS-401') return { detail: 'VIIS held nothing to withdraw (VIIS-401)' };
          throw e;
        }
      }
      if (!event.record) throw new SinkRejectedError(`VIIS: the ${event.op} event ${event.eventId} carries no record`);
      if (credential) return await this.deliverCredential(event, event.record, submitter);
      const kind = KINDS[entity as ViisEntity];
      const rec = await this.request(entity as ViisEntity, event.record, event.institution);
      rec.submitterRef = { recordId: event.recordId, version: event.version };
      return { detail: describe(await this.client.register(kind.operation, submitter, kind.element, rec)) };
    } catch (e) {
      if (!(e instanceof RegisterRejectedError)) throw e;
      const extra = { registerCode: e.registerCode, registerReason: e.reason, ...(e.field ? { registerField: e.field } : {}) };
      if (this.o.retryCodes.includes(e.registerCode)) {
        throw new SinkError(`${e.message}; the referenced record may not have reached the register yet: retrying`, { extra });
      }
      throw new SinkRejectedError(`${e.message}`, { extra });
    }
  }

  /**
   * A degree credential: RegisterDigitalDiploma when issued, RevokeDigitalDiploma when revoked. A
   * revocation the register cannot place (VIIS-502: it never got the diploma, e.g. the credential was
   * revoked before its first notice went out) registers the digital diploma first, then revokes it, so
   * the register ends with what happened. A micro-credential is not a diploma: delivered, nothing sent.
   */
  private async deliverCredential(event: ChangeEvent, record: JsonObject, submitter: Submitter): Promise<DeliveryReceipt> {
    if (record.kind !== 'degree') return { detail: NOT_A_DIPLOMA };
    const req = await this.mapper.mapCredential(record, { institution: event.institution, programmeCodes: {} });
    const diploma = { ...req.digitalDiploma, submitterRef: { recordId: event.recordId, version: event.version } };
    if (!req.revocation) return { detail: describe(await this.client.registerDigitalDiploma(submitter, diploma)) };
    try {
      return { detail: describe(await this.client.revokeDigitalDiploma(submitter, diploma.credentialId, req.revocation), 'registered the revocation') };
    } catch (e) {
      if (!(e instanceof RegisterRejectedError) || e.registerCode !== 'VIIS-502') throw e;
    }
    const registered = await this.client.registerDigitalDiploma({ ...submitter, submissionId: `${submitter.submissionId}/issued` }, diploma);
    const revoked = await this.client.revokeDigitalDiploma(submitter, diploma.credentialId, req.revocation);
    return { detail: `${describe(registered)}; ${describe(revoked, 'registered the revocation')}` };
  }

  private async expected(r: CanonicalRecord): Promise<{ key: string; data: JsonObject }> {
    if (!isViisEntity(r.entity)) throw new SinkRejectedError(`VIIS does not keep '${r.entity}'`);
    const rec = await this.request(r.entity, r.data, r.institution);
    return { key: rec.localId, data: content(rec) };
  }

  private async holdings(institution: string): Promise<HeldRecord[]> {
    const h = await this.client.holdings(this.registerCode(institution));
    return HOLDING_LISTS.flatMap(({ list, entity }) =>
      h[list].map((r) => ({
        entity,
        key: r.localId,
        ...(r.submitterRef ? { recordId: r.submitterRef.recordId, version: r.submitterRef.version } : {}),
        data: content(r),
      })),
    );
  }
}
