import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { globalAgent, createServer, type Server } from 'node:https';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { peculiarX509, type X509Keys } from '../core/x509.ts';
import { toPem } from '../core/pem.ts';

/** The demo's development TLS certificate for 127.0.0.1 / localhost and the CA that issued it (PEM). */
export interface DevTls {
  keyPem: string;
  certPem: string;
  caPem: string;
}

const FILES = { key: 'tls.key.pem', cert: 'tls.cert.pem', ca: 'ca.cert.pem' } as const;

/**
 * A development CA and a server certificate it issues for 127.0.0.1 and localhost, kept in `dir`
 * (made at the first start, like the demo's development seals; the key readable by its owner only).
 * Never for production: there the EWP host is behind a TLS terminator with a CA-signed certificate.
 */
export async function devTlsCertificate(dir: string): Promise<DevTls & { created: boolean }> {
  if (Object.values(FILES).every((f) => existsSync(join(dir, f)))) {
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return { keyPem: read(FILES.key), certPem: read(FILES.cert), caPem: read(FILES.ca), created: false };
  }
  const x509 = peculiarX509();
  const gen = { name: 'ECDSA', namedCurve: 'P-256' };
  const signing = { name: 'ECDSA', hash: 'SHA-256' };
  const serial = (prefix: string) => `${prefix}${Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex')}`;
  const now = Date.now();
  const caKeys = (await webcrypto.subtle.generateKey(gen, true, ['sign', 'verify'])) as unknown as X509Keys;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial('01'),
    name: 'CN=Study-data hub demo development CA, C=LV',
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 5 * 365 * 86_400_000),
    keys: caKeys,
    signingAlgorithm: signing,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const keys = (await webcrypto.subtle.generateKey(gen, true, ['sign', 'verify'])) as unknown as X509Keys;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial('02'),
    subject: 'CN=localhost, O=Study-data hub demo (development), C=LV',
    issuer: ca.subject,
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 2 * 365 * 86_400_000),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  const out: DevTls = {
    keyPem: toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey), 'PRIVATE KEY'),
    certPem: `${cert.toString('pem')}\n`,
    caPem: `${ca.toString('pem')}\n`,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, FILES.key), out.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, FILES.cert), out.certPem);
  writeFileSync(join(dir, FILES.ca), out.caPem);
  return { ...out, created: true };
}

/**
 * Lets this process's https client calls (the EWP client's, through node:https's global agent) trust
 * the demo's development CA, on top of the usual public roots. Demo process only.
 */
export function trustDevCa(caPem: string): void {
  const current = globalAgent.options.ca;
  const list = current === undefined ? [...rootCertificates] : Array.isArray(current) ? [...current] : [current];
  if (!list.includes(caPem)) globalAgent.options.ca = [...list, caPem];
}

/** An https listener on loopback in front of the hub's app (the EWP host of the demo HEIs), like a TLS terminator. */
export interface TlsFront {
  url: string;
  server: Server;
  /** The hub's request handler, once it runs; until then the front answers 503. */
  handler: RequestListener | undefined;
  close(): Promise<void>;
}

export async function startTlsFront(tls: DevTls): Promise<TlsFront> {
  const front: { handler: RequestListener | undefined } = { handler: undefined };
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    if (front.handler) front.handler(req, res);
    else res.writeHead(503, { 'retry-after': '2' }).end('starting');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(front, {
    url: `https://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
