import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { TargetRefusedError, TransportError } from '../errors.ts';
import { bareHost, type TargetPolicy } from './target-policy.ts';

export interface GuardedRequestInit {
  method: 'GET' | 'POST' | 'PUT';
  headers: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  /** The most of the response body read (the rest is dropped); default 64 KiB. */
  maxResponseBytes?: number;
}

export interface GuardedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/**
 * Checks a URL before anything is sent: http(s) only, no credentials in it. Throws TargetRefusedError.
 * Returns the parsed URL.
 */
export function checkTargetUrl(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TargetRefusedError(`'${target.slice(0, 200)}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefusedError(`only http and https targets are allowed, not ${url.protocol}`);
  if (url.username || url.password) throw new TargetRefusedError('a target URL may not carry a user name or password');
  return url;
}

/**
 * The address the hub will connect to for this URL: an address literal is checked as it is, a name is
 * resolved and every address it resolves to must be allowed (one refused address refuses the name), so
 * a name that points inside cannot pass by its public twin. Nothing is connected to here.
 */
export async function resolveTarget(url: URL, policy: TargetPolicy): Promise<string> {
  const host = bareHost(url.hostname);
  if (isIP(host)) {
    const why = policy.hostAllowed(host) ? undefined : policy.refusal(host);
    if (why) throw new TargetRefusedError(`target ${url.host} refused: ${why} (webhooks.allowTargets does not name it)`);
    return host;
  }
  let addresses: string[];
  try {
    addresses = await policy.resolve(host);
  } catch (e) {
    throw new TransportError(`target ${url.host} does not resolve: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  if (addresses.length === 0) throw new TransportError(`target ${url.host} does not resolve`);
  if (!policy.hostAllowed(host)) {
    for (const a of addresses) {
      const why = policy.refusal(a);
      if (why) throw new TargetRefusedError(`target ${url.host} refused: it resolves to ${why} (webhooks.allowTargets does not name it)`);
    }
  }
  return addresses[0]!;
}

/**
 * One HTTP request to a target that API input or a config named, guarded against reaching inside:
 * the host is resolved and checked (TargetPolicy), and the connection goes to the very address that was
 * checked (the name is not looked up a second time, so DNS rebinding cannot swap it); TLS still checks
 * the certificate against the name. Redirects are not followed: a 3xx comes back as it is.
 */
export async function guardedRequest(target: string, init: GuardedRequestInit, policy: TargetPolicy): Promise<GuardedResponse> {
  const url = checkTargetUrl(target);
  const address = await resolveTarget(url, policy);
  const host = bareHost(url.hostname);
  const secure = url.protocol === 'https:';
  const limit = init.maxResponseBytes ?? 64 * 1024;
  return new Promise<GuardedResponse>((resolve, reject) => {
    const req = (secure ? https : http).request({
      host: address,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: init.method,
      agent: agents[url.protocol as 'http:' | 'https:'],
      headers: { ...init.headers, host: url.host, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) },
      ...(secure && !isIP(host) ? { servername: host } : {}),
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${init.timeoutMs} ms`), { name: 'TimeoutError' })), init.timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      };
      res.on('data', (c: Buffer) => {
        chunks.push(c.subarray(0, limit - size));
        size += c.length;
        if (size >= limit) {
          // enough is read: the rest is not waited for
          done();
          res.destroy();
        }
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      res.on('end', done);
    });
    req.end(init.body);
  });
}
