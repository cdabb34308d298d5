import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MalformedInputError } from '../../core/errors.ts';
import { NS } from './ns.ts';

/**
 * A namespace-aware XML tree for reading partner documents. Elements keep their order, their
 * attributes (with resolved namespaces) and their text exactly as written (no trimming): the IIA
 * hash is computed over leaf values as the official XSLT sees them.
 */
export interface XAttr {
  ns: string;
  local: string;
  value: string;
}

export interface XElem {
  ns: string;
  local: string;
  attrs: XAttr[];
  children: (XElem | string)[];
  parent?: XElem;
}

/**
 * Deepest element nesting read (EWP documents nest about 15 levels). The parser refuses deeper
 * documents, so the recursive walks below (build, text, descendants) stay shallow.
 */
export const XML_MAX_DEPTH = 100;

const parser = new XMLParser({
  maxNestedTags: XML_MAX_DEPTH,
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
});

/** Decodes the five XML entities and character references in one pass (so `&amp;#65;` stays `&#65;`). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e === 'amp') return '&';
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const code = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return String.fromCodePoint(code);
  });
}

type Raw = Record<string, unknown>;

function build(raw: Raw, scope: Map<string, string>, parent: XElem | undefined): XElem {
  const qname = Object.keys(raw).find((k) => k !== ':@')!;
  const rawAttrs = (raw[':@'] ?? {}) as Record<string, string>;
  const local = new Map(scope);
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns') local.set('', decodeEntities(v));
    else if (k.startsWith('xmlns:')) local.set(k.slice(6), decodeEntities(v));
  }
  const resolve = (q: string, isAttr: boolean): { ns: string; local: string } => {
    const i = q.indexOf(':');
    if (i < 0) return { ns: isAttr ? '' : (local.get('') ?? ''), local: q };
    const prefix = q.slice(0, i);
    const ns = prefix === 'xml' ? NS.xml : local.get(prefix);
    if (ns === undefined) throw new MalformedInputError(`undeclared namespace prefix '${prefix}' in <${q}>`);
    return { ns, local: q.slice(i + 1) };
  };
  const name = resolve(qname, false);
  const elem: XElem = { ns: name.ns, local: name.local, attrs: [], children: [], ...(parent ? { parent } : {}) };
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    // Attribute-value normalisation (XML 1.0 §3.3.3): literal white space becomes a space.
    elem.attrs.push({ ...resolve(k, true), value: decodeEntities(v.replace(/\r\n|[\t\n\r]/g, ' ')) });
  }
  for (const c of (raw[qname] ?? []) as Raw[]) {
    // End-of-line normalisation (XML 1.0 §2.11), then entities.
    if ('#text' in c) elem.children.push(decodeEntities(String(c['#text']).replace(/\r\n?/g, '\n')));
    else if ('#cdata' in c)
      elem.children.push(
        ((c['#cdata'] ?? []) as Raw[])
          .map((t) => String(t['#text'] ?? ''))
          .join('')
          .replace(/\r\n?/g, '\n'),
      );
    else elem.children.push(build(c, local, elem));
  }
  return elem;
}

/** Parses a document; malformed XML, a DOCTYPE (entity tricks) or an undeclared prefix is a MalformedInputError. */
export function parseXml(text: string): XElem {
  if (/<!DOCTYPE/i.test(text)) throw new MalformedInputError('XML with a DOCTYPE is not accepted');
  const ok = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (ok !== true) throw new MalformedInputError(`malformed XML at line ${ok.err.line}: ${ok.err.msg}`);
  let nodes: Raw[];
  try {
    nodes = parser.parse(text) as Raw[];
  } catch (e) {
    // fast-xml-parser's own refusals (e.g. nesting deeper than XML_MAX_DEPTH) are plain Errors.
    throw new MalformedInputError(`unreadable XML: ${(e as Error).message} (at most ${XML_MAX_DEPTH} nested elements)`);
  }
  const roots = nodes.filter((n) => !('#text' in n));
  if (roots.length !== 1) throw new MalformedInputError(`an XML document has one root element, found ${roots.length}`);
  return build(roots[0]!, new Map(), undefined);
}

export function elements(e: XElem): XElem[] {
  return e.children.filter((c): c is XElem => typeof c !== 'string');
}

/** Child elements with this local name (and namespace, when given; default: the parent's). */
export function children(e: XElem, local: string, ns: string = e.ns): XElem[] {
  return elements(e).filter((c) => c.local === local && c.ns === ns);
}

export function child(e: XElem, local: string, ns: string = e.ns): XElem | undefined {
  return children(e, local, ns)[0];
}

/** The string value (all descendant text, as written). */
export function text(e: XElem | undefined): string {
  if (!e) return '';
  return e.children.map((c) => (typeof c === 'string' ? c : text(c))).join('');
}

/** Trimmed text of a child, or undefined when the child is absent or empty. */
export function childText(e: XElem, local: string, ns: string = e.ns): string | undefined {
  const c = child(e, local, ns);
  if (!c) return undefined;
  const t = text(c).trim();
  return t === '' ? undefined : t;
}

export function attr(e: XElem, local: string, ns = ''): string | undefined {
  return e.attrs.find((a) => a.local === local && a.ns === ns)?.value;
}

/** Every descendant element in document order (not the element itself). */
export function descendants(e: XElem): XElem[] {
  const out: XElem[] = [];
  const walk = (x: XElem) => {
    for (const c of elements(x)) {
      out.push(c);
      walk(c);
    }
  };
  walk(e);
  return out;
}
