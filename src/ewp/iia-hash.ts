import { sha256Hex } from '../core/ids.ts';
import { attr, descendants, elements, text, type XElem } from './xml/parse.ts';

/**
 * The IIA v7 hash, computed as the official XSLT `resources/xsltKit/transform_version_7.xsl` of
 * ewp-specs-api-iias (stable-v7) does, step by step, including its quirks:
 *
 * - `text-to-hash` starts with `_@terminated-as-a-whole@_` when ANY `cooperation-conditions` of the
 *   whole document has `terminated-as-a-whole` = `true` or `1` (the XSLT uses `//`);
 * - then `_iia-id_<n>=<value>_` for each partner (empty value when the partner has no iia-id);
 * - then, for each mobility spec, every descendant element except those below a sending or
 *   receiving contact (the contact element itself is still visited), the two academic-year ids and
 *   anything with a `not-yet-defined` ancestor-or-self: first its attributes but `not-yet-defined` and
 *   `v6-value` (`_@<ggp>.<gp>.<parent>.<attr>=<value>@_`), then, for a leaf, `_<gp>.<parent>.<name>=<value>_`
 *   with the `v6-value` replacing an isced-f-code; then the first and last receiving academic year;
 * - `valid-for-approval` is false when any element of the document has `not-yet-defined` true/1 or a
 *   non-empty `v6-value`.
 *
 * The hash is the lower-case hex SHA-256 of the UTF-8 text. Checked against the spec's own example
 * (`get-response-v7.xml`, whose `iia-hash` it reproduces) in test/ewp/iia-hash.test.ts.
 */
export interface IiaHash {
  iiaId: string;
  textToHash: string;
  hash: string;
  validForApproval: boolean;
}

const localName = (e: XElem | undefined): string => e?.local ?? '';
const isTrue = (v: string | undefined) => v === 'true' || v === '1';

function all(root: XElem): XElem[] {
  return [root, ...descendants(root)];
}

function dumpElement(e: XElem | undefined, name: string): string {
  let value = '';
  if (e) {
    const v6 = e.local === 'isced-f-code' ? (attr(e, 'v6-value') ?? '') : '';
    value = v6.length > 0 ? v6 : text(e);
  }
  return `_${name}=${value}_`;
}

function notYetDefinedOnPath(e: XElem): boolean {
  for (let x: XElem | undefined = e; x; x = x.parent) if (isTrue(attr(x, 'not-yet-defined'))) return true;
  return false;
}

function underContact(e: XElem): boolean {
  for (let x = e.parent; x; x = x.parent) if (x.local === 'sending-contact' || x.local === 'receiving-contact') return true;
  return false;
}

/** One result per `iia` element of the document (any namespace, any depth), in document order. */
export function iiaHashes(doc: XElem): IiaHash[] {
  const everything = all(doc);
  const terminated = everything.filter((e) => e.local === 'cooperation-conditions').some((e) => e.attrs.some((a) => a.local === 'terminated-as-a-whole' && isTrue(a.value)));
  const invalid = everything.some((e) => isTrue(attr(e, 'not-yet-defined')) || (attr(e, 'v6-value') ?? '') !== '');
  return everything
    .filter((e) => e.local === 'iia')
    .map((iia) => {
      const kids = elements(iia);
      const partners = kids.filter((k) => k.local === 'partner');
      const firstIds = partners[0] ? elements(partners[0]).filter((k) => k.local === 'iia-id') : [];
      const iiaId = firstIds.map((k) => text(k)).join(' ');
      let out = terminated ? '_@terminated-as-a-whole@_' : '';
      partners.forEach((p, i) => {
        out += dumpElement(
          elements(p).find((k) => k.local === 'iia-id'),
          `iia-id_${i + 1}`,
        );
      });
      for (const cc of kids.filter((k) => k.local === 'cooperation-conditions')) {
        for (const spec of elements(cc)) {
          for (const d of descendants(spec)) {
            if (underContact(d) || d.local === 'receiving-first-academic-year-id' || d.local === 'receiving-last-academic-year-id' || notYetDefinedOnPath(d)) continue;
            for (const a of d.attrs) {
              if (a.ns === '' && (a.local === 'not-yet-defined' || a.local === 'v6-value')) continue;
              out += `_@${localName(d.parent?.parent)}.${localName(d.parent)}.${d.local}.${a.local}=${a.value}@_`;
            }
            if (elements(d).length === 0) out += dumpElement(d, `${localName(d.parent?.parent)}.${localName(d.parent)}.${d.local}`);
          }
          const year = (n: string) => elements(spec).find((k) => k.local === n);
          out += dumpElement(year('receiving-first-academic-year-id'), 'receiving-first-academic-year-id');
          out += dumpElement(year('receiving-last-academic-year-id'), 'receiving-last-academic-year-id');
        }
      }
      return { iiaId, textToHash: out, hash: sha256Hex(Buffer.from(out, 'utf8')), validForApproval: !invalid };
    });
}
