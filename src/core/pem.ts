/** DER bytes as PEM text with the given label (`CERTIFICATE`, `PRIVATE KEY`…), 64 characters a line. */
export function toPem(der: ArrayBuffer, label: string): string {
  const b = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b}\n-----END ${label}-----\n`;
}
