import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { createDevSealKey } from '../../../src/emrex/keys.ts';
import type { SealKey } from '../../../src/emrex/keys.ts';
import { sealElmo } from '../../../src/emrex/sign.ts';
import { listen } from '../../ewp/helpers/ewp.ts';

const ELMO = 'https://github.com/emrex-eu/elmo-schemas/tree/v1';
const R = 'https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1';
const DAP = 'https://github.com/erasmus-without-paper/ewp-specs-api-emrex-data-access-point/blob/stable-v1/manifest-entry.xsd';

export interface Learner {
  givenNames: string;
  familyName: string;
  bday?: string;
}

/** A small ELMO 1.7 document of the University of Oslo: two courses with ECTS, one without credits, a degree programme. */
export function osloElmo(learner: Learner, extra = ''): string {
  const loi = (date: string, grade: string, credits?: number) =>
    `<specifies><learningOpportunityInstance><date>${date}</date><status>passed</status><gradingSchemeLocalId>ECTS-A-F</gradingSchemeLocalId><resultLabel>${grade}</resultLabel>${
      credits === undefined ? '' : `<credit><scheme>ECTS</scheme><value>${credits}</value></credit>`
    }</learningOpportunityInstance></specifies>`;
  const los = (code: string, title: string, type: string, inner: string) =>
    `<learningOpportunitySpecification><identifier type="local">${code}</identifier><title xml:lang="no">${title} (no)</title><title xml:lang="en">${title}</title><type>${type}</type>${inner}</learningOpportunitySpecification>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<elmo xmlns="${ELMO}"><generatedDate>2025-06-20T10:00:00+02:00</generatedDate><learner><citizenship>LV</citizenship><givenNames>${learner.givenNames}</givenNames><familyName>${learner.familyName}</familyName>${
    learner.bday ? `<bday>${learner.bday}</bday>` : ''
  }</learner><report><issuer><country>NO</country><identifier type="schac">uio.no</identifier><identifier type="erasmus">N OSLO01</identifier><title xml:lang="en">University of Oslo</title></issuer>${los(
    'INF1000',
    'Introduction to Programming',
    'Course',
    loi('2025-06-12', 'B', 10),
  )}${los('MAT1100', 'Calculus', 'Course', loi('2025-06-14', 'C', 10))}${los('SEM0001', 'Seminar without credits', 'Course', loi('2025-06-15', 'A'))}${los(
    'MINF',
    'Master in Informatics',
    'Degree Programme',
    loi('2025-06-20', 'B', 120),
  )}<issueDate>2025-06-20T10:00:00+02:00</issueDate></report>${extra}</elmo>`;
}

/** The elmo field of a return form: base64 of gzip of the document. */
export const packElmo = (xml: string): string => gzipSync(Buffer.from(xml, 'utf8')).toString('base64');

/** What the simulated contact point answers for the next session. */
export interface Scenario {
  returnCode: string;
  learner: Learner;
  /** Changes the sealed document (a forgery after sealing). */
  tamper?: (signed: string) => string;
  /** Seals with this key instead of the contact point's own (a key the registry does not list). */
  key?: SealKey;
  /** The document as sent, unsealed and unchanged (e.g. with a DOCTYPE). */
  raw?: string;
}

/**
 * A foreign EMREX contact point on loopback: takes `sessionId` and `returnUrl` (form-encoded), "lets the
 * learner choose" (the scenario says what), seals an ELMO document with its own key and answers the page with
 * the self-submitting form back to `returnUrl`, as contact points do; the test plays the learner's browser.
 */
export class ForeignContactPoint {
  key!: SealKey;
  scenario: Scenario = { returnCode: 'EMP_OK', learner: { givenNames: 'Jānis', familyName: 'Bērziņš', bday: '2000-03-14' } };
  received: { sessionId: string; returnUrl: string }[] = [];
  private l!: Awaited<ReturnType<typeof listen>>;

  constructor(
    readonly country: string,
    readonly name: string,
  ) {}

  get url(): string {
    return `${this.l.url}/emrex/`;
  }

  get certificateBase64(): string {
    return this.key.certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  }

  async start(): Promise<this> {
    this.key = await createDevSealKey(mkdtempSync(join(tmpdir(), 'foreign-cp-')), `CN=${this.name} (test), C=${this.country}`);
    this.l = await listen();
    const app = express();
    app.post('/emrex/', express.urlencoded({ extended: false }), (req, res) => {
      const { sessionId, returnUrl } = req.body as Record<string, string>;
      this.received.push({ sessionId: sessionId ?? '', returnUrl: returnUrl ?? '' });
      const s = this.scenario;
      const fields: Record<string, string> = { sessionId: sessionId ?? '', returnCode: s.returnCode, returnMessage: s.returnCode === 'EMP_ERROR' ? 'the national register is down' : '' };
      if (s.returnCode.endsWith('_OK')) {
        const doc = s.raw ?? (s.tamper ?? ((x: string) => x))(sealElmo(osloElmo(s.learner), s.key ?? this.key));
        fields.elmo = packElmo(doc);
      }
      const inputs = Object.entries(fields)
        .map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/"/g, '&quot;')}">`)
        .join('');
      res.type('html').send(`<!doctype html><form method="post" action="${returnUrl ?? ''}">${inputs}</form><script>document.forms[0].submit()</script>`);
    });
    this.l.server.on('request', app);
    return this;
  }

  async close(): Promise<void> {
    await this.l.close();
  }

  /** The contact point's entry in a registry catalogue host (emrex-data-access-point, as its manifest lists it). */
  catalogueHost(institutions: string[]): string {
    return `<r:host><r:apis-implemented><emrex-data-access-point xmlns="${DAP}" version="1.0.0"><url>${this.url}</url><name>${this.name}</name><country-code>${this.country}</country-code>${institutions
      .map((i) => `<institution>${i}</institution>`)
      .join('')}<certificate>${this.certificateBase64}</certificate></emrex-data-access-point></r:apis-implemented></r:host>`;
  }

  /** The contact point as an EMREG list entry. */
  emregEntry(institutions: string[]): Record<string, unknown> {
    return { url: this.url, acronym: this.name, countryCode: this.country, institutions, pubKey: this.key.certificatePem };
  }
}

/** A registry catalogue of these hosts (the registry namespace, no keys). */
export function catalogueOf(hosts: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><r:catalogue xmlns:r="${R}">${hosts.join('')}<r:institutions/></r:catalogue>`;
}

/** The fields of the self-submitting form a contact point answered (what the browser posts back). */
export function formOf(page: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]*)"/.exec(page)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&quot;/g, '"');
  return { action, fields };
}
