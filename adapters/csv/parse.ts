import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import { EncodingError, MalformedInputError } from '../../src/core/errors.ts';

export type CsvEncoding = 'auto' | 'utf-8' | 'windows-1257';
export type Delimiter = 'auto' | ',' | ';' | '\t';

export interface Decoded {
  text: string;
  encoding: 'utf-8' | 'windows-1257';
}

/**
 * Bytes → text. UTF-8 (a BOM is dropped) or Windows-1257 (Baltic), configured or detected: a file that
 * is valid UTF-8 is read as UTF-8, anything else as Windows-1257. A byte that is not valid in the
 * encoding (or undefined in Windows-1257) fails the file with its byte offset.
 */
export function decode(bytes: Buffer, encoding: CsvEncoding): Decoded {
  const utf8 = (): Decoded | { badAt: number } => {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes), encoding: 'utf-8' };
    } catch {
      return { badAt: firstInvalidUtf8(bytes) };
    }
  };
  const win1257 = (): Decoded => {
    const text = iconv.decode(bytes, 'win1257');
    const bad = text.indexOf('\ufffd');
    if (bad >= 0) {
      throw new EncodingError(`byte ${bad} (0x${bytes[bad]!.toString(16).toUpperCase()}) is not a character in Windows-1257${encoding === 'auto' ? ', and the file is not UTF-8 either' : ''}`, {
        extra: { byteOffset: bad, encoding: 'windows-1257' },
      });
    }
    return { text, encoding: 'windows-1257' };
  };
  if (encoding === 'windows-1257') return win1257();
  const u = utf8();
  if ('text' in u) return u;
  if (encoding === 'utf-8') {
    throw new EncodingError(`byte ${u.badAt} is not valid UTF-8 (a Windows-1257 export? set encoding to "windows-1257" or "auto")`, { extra: { byteOffset: u.badAt, encoding: 'utf-8' } });
  }
  return win1257();
}

/** Offset of the first byte that breaks UTF-8. */
export function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return b.length;
}

/** The delimiter of the header line: the most frequent of ; , and tab (Latvian Excel writes ;). */
export function detectDelimiter(text: string): ',' | ';' | '\t' {
  const first = text.replace(/^\ufeff/, '').split(/\r?\n/, 1)[0] ?? '';
  const count = (d: string) => first.split(d).length - 1;
  const candidates = [';', ',', '\t'] as const;
  return candidates.reduce((best, d) => (count(d) > count(best) ? d : best), ',' as ',' | ';' | '\t');
}

export interface Row {
  /** Line of the source file where the row ends (1-based). */
  line: number;
  fields: string[];
}

export interface Parsed {
  header: string[];
  headerLine: number;
  rows: Row[];
  /** A structural error that stopped parsing (e.g. an unclosed quote); rows before it are in `rows`. */
  error?: MalformedInputError;
}

/** Parses CSV text with csv-parse; keeps the rows read before a structural error. */
export async function parseCsv(text: string, delimiter: ',' | ';' | '\t'): Promise<Parsed> {
  const parser = parse({ delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, info: true });
  const records: Row[] = [];
  parser.on('readable', () => {
    let r: { record: string[]; info: { lines: number } } | null;
    while ((r = parser.read() as typeof r) !== null) records.push({ line: r.info.lines, fields: r.record });
  });
  const done = new Promise<Error | undefined>((resolve) => {
    parser.on('end', () => resolve(undefined));
    parser.on('error', (e) => resolve(e));
  });
  parser.write(text);
  parser.end();
  const err = (await done) as (Error & { lines?: number }) | undefined;
  const [header, ...rows] = records;
  const out: Parsed = { header: (header?.fields ?? []).map((h) => h.replace(/^\ufeff/, '').trim()), headerLine: header?.line ?? 1, rows: rows.filter((r) => r.fields.some((f) => f.trim() !== '')) };
  if (err) out.error = new MalformedInputError(`line ${err.lines ?? '?'}: ${err.message.replace(/^Invalid [^:]*: /, '')}`, { extra: { line: err.lines } });
  return out;
}

export interface ColumnSpec {
  columns: string[];
  optionalColumns?: string[];
  allowUnknownColumns?: boolean;
}

/** Checks a header against the expected columns; returns the problems (empty when it fits). */
export function checkHeader(header: string[], spec: ColumnSpec): string[] {
  const problems: string[] = [];
  if (header.length === 0 || header.every((h) => h === '')) return ['the file has no header line'];
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') problems.push(`column ${i + 1} has no name`);
    else if (seen.has(h)) problems.push(`column '${h}' appears more than once`);
    seen.add(h);
  });
  const missing = spec.columns.filter((c) => !seen.has(c));
  if (missing.length) problems.push(`missing column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  if (!spec.allowUnknownColumns) {
    const known = new Set([...spec.columns, ...(spec.optionalColumns ?? [])]);
    const unknown = header.filter((h) => h !== '' && !known.has(h));
    if (unknown.length) problems.push(`unknown column${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (expected ${[...known].join(', ')})`);
  }
  return problems;
}
