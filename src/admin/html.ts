/**
 * The one HTML template helper of the admin console. `html` is a tagged template: every
 * interpolated value is escaped, unless it is already `Html` (the result of another `html`), so
 * user data can only reach a page as text. Arrays are joined; null, undefined and false render nothing.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return esc(v);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Joins fragments with a separator (escaped like any value). */
export function join(parts: unknown[], sep: Html | string = ''): Html {
  const s = render(sep);
  return new Html(parts.map(render).join(s));
}

/** A path of the console: base + segments, each segment URL-encoded; query values too. */
export function href(base: string, path: string, query: Record<string, string | undefined> = {}): string {
  const q = Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return `${base}${path}${q.length ? `?${new URLSearchParams(q).toString()}` : ''}`;
}

export function seg(s: string): string {
  return encodeURIComponent(s);
}

/** A time as `YYYY-MM-DD HH:MM:SS UTC` in a <time> element. */
export function time(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">–</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  const s = d.toISOString();
  return html`<time datetime="${s}">${s.slice(0, 10)} ${s.slice(11, 19)}</time>`;
}
