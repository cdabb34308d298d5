import { arr, identifier, type Rec } from './data.ts';
import { emrexManifestEntry } from './emrex-entry.ts';
import type { EwpServices } from './services.ts';
import { ADMIN_PROVIDER, type EwpHei } from './settings.ts';
import { el, type Child, type XmlElement } from './xml/build.ts';
import { MANIFEST_ENTRY, NS, type ApiName } from './xml/ns.ts';

/** What one API entry declares: its URL elements (in schema order) and its limits. */
interface EntrySpec {
  api: ApiName;
  /** [element name, path below the HEI base URL] */
  urls: [string, string][];
  /** Elements after the URLs (max-*-ids and the like), in schema order, interleaved by position. */
  tail?: (max: number) => [string, string][];
  /** Where the tail elements go: after the URL at this index (default: after all URLs). */
  tailAfter?: number;
  secured: boolean;
}

const ids =
  (...names: string[]) =>
  (max: number) =>
    names.map((n): [string, string] => [n, String(max)]);

/** Every API the hub serves for a HEI, with the order of elements each manifest-entry.xsd wants. */
export const ENTRIES: EntrySpec[] = [
  { api: 'discovery', urls: [['url', 'manifest.xml']], secured: false },
  { api: 'echo', urls: [['url', 'echo']], secured: true },
  { api: 'institutions', urls: [['url', 'institutions']], tail: ids('max-hei-ids'), secured: true },
  { api: 'ounits', urls: [['url', 'ounits']], tail: ids('max-ounit-ids', 'max-ounit-codes'), secured: true },
  { api: 'courses', urls: [['url', 'courses']], tail: ids('max-los-ids', 'max-los-codes'), secured: true },
  {
    api: 'courseReplication',
    urls: [['url', 'course-replication']],
    tail: () => [
      ['allows-anonymous-access', 'false'],
      ['supports-modified-since', 'true'],
    ],
    secured: true,
  },
  { api: 'factsheet', urls: [['url', 'factsheet']], tail: ids('max-hei-ids'), secured: true },
  {
    api: 'iias',
    urls: [
      ['get-url', 'iias/get'],
      ['index-url', 'iias/index'],
      ['stats-url', 'iias/stats'],
    ],
    tail: ids('max-iia-ids'),
    tailAfter: 0,
    secured: true,
  },
  { api: 'iiasApproval', urls: [['url', 'iias-approval']], tail: ids('max-iia-ids'), secured: true },
  { api: 'iiaCnr', urls: [['url', 'iia-cnr']], secured: true },
  { api: 'iiaApprovalCnr', urls: [['url', 'iia-approval-cnr']], secured: true },
  {
    api: 'omobilities',
    urls: [
      ['get-url', 'omobilities/get'],
      ['index-url', 'omobilities/index'],
      ['update-url', 'omobilities/update'],
    ],
    tail: ids('max-omobility-ids'),
    secured: true,
  },
  { api: 'omobilityStats', urls: [['url', 'omobility-stats']], secured: true },
  { api: 'imobilityTorStats', urls: [['url', 'imobility-tor-stats']], secured: true },
  { api: 'omobilityCnr', urls: [['url', 'omobility-cnr']], tail: ids('max-omobility-ids'), secured: true },
  { api: 'imobilities', urls: [['get-url', 'imobilities/get']], tail: ids('max-omobility-ids'), secured: true },
  { api: 'imobilityCnr', urls: [['url', 'imobility-cnr']], tail: ids('max-omobility-ids'), secured: true },
  { api: 'file', urls: [['url', 'file']], secured: true },
  {
    api: 'omobilityLas',
    urls: [
      ['get-url', 'omobility-las/get'],
      ['index-url', 'omobility-las/index'],
      ['update-url', 'omobility-las/update'],
      ['stats-url', 'omobility-las/stats'],
    ],
    tail: ids('max-omobility-ids'),
    secured: true,
  },
  {
    api: 'omobilityLaCnr',
    urls: [
      ['url', 'omobility-la-cnr'],
      ['stats-url', 'omobility-la-cnr/stats'],
    ],
    tail: ids('max-omobility-ids'),
    secured: true,
  },
  {
    api: 'imobilityTors',
    urls: [
      ['get-url', 'imobility-tors/get'],
      ['index-url', 'imobility-tors/index'],
    ],
    tail: ids('max-omobility-ids'),
    secured: true,
  },
  { api: 'imobilityTorCnr', urls: [['url', 'imobility-tor-cnr']], tail: ids('max-omobility-ids'), secured: true },
];

function httpSecurity(): XmlElement {
  return el(
    'http-security',
    {},
    el('sec:client-auth-methods', {}, el('httpsig', { xmlns: NS.cliauthHttpsig })),
    el('sec:server-auth-methods', {}, el('tlscert', { xmlns: NS.srvauthTlscert }), el('httpsig', { xmlns: NS.srvauthHttpsig })),
  );
}

function entry(spec: EntrySpec, base: string, max: number): XmlElement {
  const m = MANIFEST_ENTRY[spec.api];
  const urls = spec.urls.map(([name, path]) => el(name, {}, `${base}/${path}`));
  const tail = (spec.tail?.(max) ?? []).map(([name, value]) => el(name, {}, value));
  const body: Child[] = spec.tailAfter === undefined ? [...urls, ...tail] : [...urls.slice(0, spec.tailAfter + 1), ...tail, ...urls.slice(spec.tailAfter + 1)];
  return el(m.name, { xmlns: m.ns, version: m.version }, spec.secured ? httpSecurity() : undefined, body);
}

/** The entries a HEI's manifest lists: the Factsheet API only for a HEI that has a factsheet (`factsheetFile`). */
export function entriesFor(node: Pick<EwpServices, 'factsheets'>, hei: EwpHei): EntrySpec[] {
  return ENTRIES.filter((s) => s.api !== 'factsheet' || node.factsheets.has(hei.id));
}

/** The HEI's names and other ids: from its organisation record when there is one, else from the config. */
export function heiIdentity(hei: EwpHei, org: Rec | undefined): { names: { lang?: string; text: string }[]; otherIds: { type: string; value: string }[] } {
  const names = org ? arr<{ lang: string; text: string }>(org.data.name) : [];
  const otherIds: { type: string; value: string }[] = [];
  const erasmus = hei.institution.erasmusCode ?? (org ? identifier(org.data, 'erasmus') : undefined);
  if (erasmus) otherIds.push({ type: 'erasmus', value: erasmus });
  const pic = org ? identifier(org.data, 'pic') : undefined;
  if (pic) otherIds.push({ type: 'pic', value: pic });
  return { names: names.length ? names : [{ text: hei.institution.name }], otherIds };
}

/** The Discovery v6 manifest of one HEI's host: its APIs (and the EMREX contact point, src/ewp/emrex-entry.ts), the HEI, its client key and the server key. */
export async function buildManifest(node: EwpServices, hei: EwpHei): Promise<XmlElement> {
  const org = await node.institutionRecord(hei);
  const { names, otherIds } = heiIdentity(hei, org);
  const max = node.settings.maxIds;
  const emrex = await emrexManifestEntry(node);
  return el(
    'manifest',
    { xmlns: NS.discovery, 'xmlns:ewp': NS.ewp, 'xmlns:r': NS.registry, 'xmlns:sec': NS.sec },
    el(
      'host',
      {},
      el('ewp:admin-email', {}, node.settings.adminEmail),
      el('ewp:admin-provider', {}, ADMIN_PROVIDER),
      el(
        'r:apis-implemented',
        {},
        entriesFor(node, hei).map((s) => entry(s, hei.baseUrl, max)),
        emrex,
      ),
      el(
        'institutions-covered',
        {},
        el(
          'r:hei',
          { id: hei.id },
          otherIds.map((o) => el('r:other-id', { type: o.type }, o.value)),
          names.map((n) => el('r:name', n.lang ? { 'xml:lang': n.lang } : {}, n.text)),
        ),
      ),
      el('client-credentials-in-use', {}, el('rsa-public-key', {}, node.clientKey(hei.id).spkiBase64)),
      el('server-credentials-in-use', {}, el('rsa-public-key', {}, node.serverKey.spkiBase64)),
    ),
  );
}
