/**
 * A small XML writer for the documents the hub emits. Elements carry their qualified names as
 * written (prefixes declared by the caller with xmlns attributes on the root); text and
 * attribute values are escaped, and characters XML 1.0 cannot carry are dropped.
 */
export type Child = XmlElement | string | number | null | undefined | false | Child[];

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string | number | boolean | undefined | null>>;
  readonly children: readonly Child[];
}

/** An element; children that are null, undefined or false are left out, arrays are flattened. */
export function el(name: string, attrs: XmlElement['attrs'] = {}, ...children: Child[]): XmlElement {
  return { name, attrs, children };
}

/** An element with text content, or nothing when the value is absent (for optional elements). */
export function opt(name: string, value: string | number | undefined | null, attrs: XmlElement['attrs'] = {}): XmlElement | undefined {
  return value === undefined || value === null || value === '' ? undefined : el(name, attrs, String(value));
}

// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeText(s: string): string {
  return s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function write(node: Child, out: string[]): void {
  if (node === null || node === undefined || node === false) return;
  if (Array.isArray(node)) {
    for (const c of node) write(c, out);
    return;
  }
  if (typeof node === 'string' || typeof node === 'number') {
    out.push(escapeText(String(node)));
    return;
  }
  out.push('<', node.name);
  for (const [k, v] of Object.entries(node.attrs)) {
    if (v === undefined || v === null) continue;
    out.push(' ', k, '="', escapeAttr(String(v)), '"');
  }
  const before = out.length;
  out.push('>');
  for (const c of node.children) write(c, out);
  if (out.length === before + 1) out[before] = '/>';
  else out.push('</', node.name, '>');
}

/** The document as UTF-8 text with an XML declaration. */
export function toXml(root: XmlElement): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  write(root, out);
  return out.join('');
}

/** A fragment without declaration (for hashing a part of a document). */
export function fragment(node: XmlElement): string {
  const out: string[] = [];
  write(node, out);
  return out.join('');
}
