import iconv from 'iconv-lite';
import { locateJsonError } from './json-locate.ts';
import { EncodingError, MalformedInputError, UnsupportedMediaTypeError } from '../core/errors.ts';
import { assertDepth, DEFAULT_MAX_DEPTH } from '../core/json-walk.ts';

export interface DecodedBody {
  text: string;
  value: unknown;
}

/** Line and column (1-based) of a character offset, for error messages. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Reads the charset parameter of a content type; undefined when absent. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m?.[1]?.toLowerCase();
}

/** Turns bytes into text by the declared charset; invalid UTF-8 is an error, not replacement characters. */
export function decodeText(body: Buffer, contentType: string | undefined): string {
  const charset = charsetOf(contentType) ?? 'utf-8';
  if (charset === 'utf-8' || charset === 'utf8') {
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    } catch {
      let offset = 0;
      // Find the first byte that breaks UTF-8, to say where.
      for (let end = 1; end <= body.length; end++) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, end));
          offset = end;
        } catch {
          if (end - offset > 4) break;
        }
      }
      throw new EncodingError(`body is not valid UTF-8 (first invalid byte at offset ${offset}); declare the charset, e.g. 'application/json; charset=windows-1257'`, {
        extra: { byteOffset: offset },
      });
    }
  }
  if (!iconv.encodingExists(charset)) throw new UnsupportedMediaTypeError(`unknown charset '${charset}'`);
  return iconv.decode(body, charset);
}

/**
 * Parses a JSON request body; the error says where the JSON breaks. A document nested deeper than
 * `maxDepth` is refused right after parsing (JSON.parse itself is not recursive), before any
 * recursive walk sees it.
 */
export function decodeJson(body: Buffer, contentType: string | undefined, opts: { maxDepth?: number; records?: boolean } = {}): DecodedBody {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!/^application\/([a-z0-9.+-]+\+)?json$/.test(type)) {
    throw new UnsupportedMediaTypeError(`content type must be application/json, got '${contentType ?? 'none'}'`);
  }
  const text = decodeText(body, contentType);
  if (text.trim() === '') throw new MalformedInputError('body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const offset = locateJsonError(text);
    const where = lineColumn(text, Math.max(0, offset));
    const near = JSON.stringify(text.slice(Math.max(0, offset - 10), offset + 10));
    throw new MalformedInputError(`body is not valid JSON: unexpected input at line ${where.line}, column ${where.column} (near ${near})`, { extra: where });
  }
  // With `records`, the limit is per record: an array of records is one level more.
  assertDepth(value, opts.maxDepth ?? DEFAULT_MAX_DEPTH, 'the body', opts.records && Array.isArray(value) ? 1 : 0);
  return { text, value };
}
