import { jsonText, tooDeep } from '../core/json-walk.ts';
import { html, join, type Html } from './html.ts';

/**
 * A JSON document as indented, escaped HTML, with the values at given JSON pointers marked
 * (validation errors). A pointer to a missing property of an existing object is shown as a marked
 * `"name": missing` line in that object, so "required" errors are visible where they belong.
 */
export interface Mark {
  pointer: string;
  message: string;
}

const unesc = (t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~');
const escPtr = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

export function parsePointer(p: string): string[] {
  return p === '' ? [] : p.split('/').slice(1).map(unesc);
}

export function resolvePointer(doc: unknown, pointer: string): { found: boolean; value?: unknown } {
  let cur: unknown = doc;
  for (const t of parsePointer(pointer)) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, t)) return { found: false };
    cur = (cur as Record<string, unknown>)[t];
  }
  return { found: true, value: cur };
}

/** Whether jsonView shows a mark for this pointer (an existing value, or a missing property of an object). */
export function markShown(doc: unknown, pointer: string, showMissing: boolean): boolean {
  if (resolvePointer(doc, pointer).found) return true;
  if (!showMissing || pointer === '') return false;
  const tokens = parsePointer(pointer);
  const parent = tokens.length === 1 ? '' : '/' + tokens.slice(0, -1).map(escPtr).join('/');
  const p = resolvePointer(doc, parent);
  return p.found && p.value !== null && typeof p.value === 'object' && !Array.isArray(p.value);
}

export function anchorOf(prefix: string, pointer: string): string {
  return `${prefix}-${Buffer.from(pointer).toString('base64url') || 'root'}`;
}

interface Opts {
  /** Prefix of the element ids of marks (one view per prefix on a page). */
  prefix: string;
  /** Show missing properties as marked lines (off for views whose paths are not the marks' paths). */
  showMissing: boolean;
  /** Long strings are shortened beyond this. */
  maxString: number;
  /** Said before a mark's messages (e.g. where the paths come from). */
  label: string;
}

function scalar(v: unknown, max: number): Html {
  if (typeof v === 'string') {
    const s = v.length > max ? `${v.slice(0, max)}… (${v.length} characters)` : v;
    return html`<span class="j-str">${JSON.stringify(s)}</span>`;
  }
  if (v === null) return html`<span class="j-null">null</span>`;
  if (typeof v === 'number' || typeof v === 'boolean') return html`<span class="j-${typeof v}">${String(v)}</span>`;
  return html`<span class="j-null">${JSON.stringify(v) ?? 'undefined'}</span>`;
}

/** The view is recursive: a document nested deeper (a rejected raw payload) is shown as text instead. */
export const VIEW_MAX_DEPTH = 200;
/** Characters of such a document shown. */
const TEXT_SHOWN = 50_000;

export function jsonView(doc: unknown, marks: Mark[], o: Partial<Opts> & { prefix: string }): Html {
  const opts: Opts = { showMissing: true, maxString: 2000, label: '', ...o };
  if (tooDeep(doc, VIEW_MAX_DEPTH)) {
    const text = jsonText(doc);
    return html`<p class="muted small">Nested deeper than ${VIEW_MAX_DEPTH} levels: shown as text.</p><pre class="json" tabindex="0">${text.length > TEXT_SHOWN ? `${text.slice(0, TEXT_SHOWN)}… (shortened)` : text}</pre>`;
  }
  const byPointer = new Map<string, string[]>();
  for (const m of marks) byPointer.set(m.pointer, [...(byPointer.get(m.pointer) ?? []), m.message]);
  const missingIn = new Map<string, string[]>();
  if (opts.showMissing) {
    for (const m of marks) {
      if (m.pointer === '' || resolvePointer(doc, m.pointer).found) continue;
      const tokens = parsePointer(m.pointer);
      const parent = '/' + tokens.slice(0, -1).map(escPtr).join('/');
      const parentPtr = tokens.length === 1 ? '' : parent;
      const p = resolvePointer(doc, parentPtr);
      if (p.found && p.value !== null && typeof p.value === 'object' && !Array.isArray(p.value)) {
        missingIn.set(parentPtr, [...(missingIn.get(parentPtr) ?? []), tokens[tokens.length - 1]!]);
      }
    }
  }
  const wrap = (pointer: string, inner: Html): Html => {
    const msgs = byPointer.get(pointer);
    if (!msgs) return inner;
    return html`<mark class="j-bad" id="${anchorOf(opts.prefix, pointer)}" title="${msgs.join('; ')}">${inner}</mark><span class="j-why"> ← ${opts.label}${msgs.join('; ')}</span>`;
  };
  const pad = (n: number) => '  '.repeat(n);
  const node = (v: unknown, pointer: string, depth: number): Html => {
    if (Array.isArray(v)) {
      if (v.length === 0) return wrap(pointer, html`[]`);
      const items = v.map((x, i) => html`${pad(depth + 1)}${node(x, `${pointer}/${i}`, depth + 1)}`);
      return wrap(pointer, html`[\n${join(items, html`,\n`)}\n${pad(depth)}]`);
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).map(
        ([k, x]) => html`${pad(depth + 1)}<span class="j-key">${JSON.stringify(k)}</span>: ${node(x, `${pointer}/${escPtr(k)}`, depth + 1)}`,
      );
      for (const k of missingIn.get(pointer) ?? []) {
        const p = `${pointer}/${escPtr(k)}`;
        entries.push(html`${pad(depth + 1)}<span class="j-key">${JSON.stringify(k)}</span>: ${wrap(p, html`<span class="j-missing">missing</span>`)}`);
      }
      if (entries.length === 0) return wrap(pointer, html`{}`);
      return wrap(pointer, html`{\n${join(entries, html`,\n`)}\n${pad(depth)}}`);
    }
    return wrap(pointer, scalar(v, opts.maxString));
  };
  return html`<pre class="json" tabindex="0">${node(doc, '', 0)}</pre>`;
}
