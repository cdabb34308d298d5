import { href, html, type Html } from '../html.ts';

/**
 * What to do about a rejected message, by the cause (its error code): a mapping or schema rejection is
 * fixed in the mapping or the data and replayed; input the hub could not read (content type, encoding,
 * JSON, size, an empty or oversized batch) is fixed by the sender, who sends it again: a replay would
 * meet the same bytes.
 */
export function rejectionHint(code: string | null, base: string, messageId: string): Html {
  const tryIt = html`<a href="${href(base, '/mappings/try', { message: messageId })}">Mappings → try this message</a>`;
  switch (code) {
    case 'HUB_ERR_MAPPING':
      return html`<p class="hint">The mapping refused the record: fix the mapping file (or ask the source to fix the data), check it under ${tryIt}, then replay.</p>`;
    case 'HUB_ERR_SCHEMA_VALIDATION':
      return html`<p class="hint">The mapped record does not match the canonical schema: fix the mapping file, or ask the source to send the missing or wrong fields; check it under ${tryIt}, then replay.</p>`;
    case 'HUB_ERR_UNSUPPORTED_MEDIA_TYPE':
      return html`<p class="hint">The sender used a content type the hub does not read: it must send <code>Content-Type: application/json</code> (the mapping is not involved). The sender sends the records again; a replay would meet the same input.</p>`;
    case 'HUB_ERR_MALFORMED_INPUT':
      return html`<p class="hint">The body is not readable JSON: the sender fixes what it sends and sends it again (the mapping is not involved; a replay would meet the same bytes).</p>`;
    case 'HUB_ERR_ENCODING':
      return html`<p class="hint">The body is not in the declared character set (UTF-8 unless the content type names another): the sender fixes the encoding and sends it again.</p>`;
    case 'HUB_ERR_PAYLOAD_TOO_LARGE':
    case 'HUB_ERR_BAD_REQUEST':
      return html`<p class="hint">The request itself was refused (too large, empty, or too many records in one call): the sender splits or fixes the batch and sends it again.</p>`;
    case 'HUB_ERR_UNKNOWN_SOURCE':
    case 'HUB_ERR_UNKNOWN_ENTITY':
    case 'HUB_ERR_FORBIDDEN':
      return html`<p class="hint">The address or the token does not fit the configuration (source, entity, scope): fix the sender's URL or token, or the config, and send again.</p>`;
    default:
      return html`<p class="hint">Fix the cause named above (the mapping file, under ${tryIt}, or the source's data), then replay.</p>`;
  }
}
