import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../src/api/app.ts';
import { benchHub, type BenchHub } from './hub.ts';

/** The partner's view of the EWP host: signed for this origin, sent to the loopback port. */
export const EWP_ORIGIN = 'https://ewp.hub.example';
const HEI = 'lu.lv';
const PARTNER = 'vu.lt';

export interface EwpTarget {
  url: string;
  paths: string[];
  /** PKCS#8 PEM of the partner's client key (registered in the test registry). */
  keyPem: string;
  /** One response body, for the bare server to answer with. */
  sample: string;
  close(): Promise<void>;
}

/** GET with exactly these headers (fetch would replace Host, which the signature covers). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * An EWP node (src/ewp) for lu.lv on loopback, with a local registry that lists a partner (vu.lt)
 * and its client key, the way test/ewp/apis.test.ts sets one up. Returns why not when src/ewp is
 * absent or does not answer a signed request.
 */
export async function startEwpTarget(): Promise<EwpTarget | { skipped: string }> {
  if (!existsSync(fileURLToPath(new URL('../../src/ewp/router.ts', import.meta.url)))) return { skipped: 'src/ewp does not exist yet' };
  const { TestRegistry, ewpConfig } = await import('../../test/ewp/helpers/ewp.ts');
  const { generateEwpKey } = await import('../../src/ewp/security/keys.ts');
  const { signRequest } = await import('../../src/ewp/security/httpsig.ts');
  const registry = await new TestRegistry().start();
  let b: BenchHub | undefined;
  let server: Server | undefined;
  const close = async () => {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    await b?.stop();
    await registry.close();
  };
  try {
    const publicBase = `${EWP_ORIGIN}/ewp/${HEI}`;
    b = await benchHub({ backend: 'embedded', config: ewpConfig({ hei: HEI, name: 'Latvijas Universitāte', erasmus: 'LV RIGA01', baseUrl: publicBase, registryUrl: registry.url }) });
    server = createServer(createApp(b.hub));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const manifest = await fetch(`${url}/ewp/${HEI}/manifest.xml`);
    if (!manifest.ok) throw new Error(`manifest: HTTP ${manifest.status}`);
    const key = generateEwpKey();
    registry.build([await manifest.text()], [{ heis: [PARTNER], clientKeys: [key] }]);
    const path = `/ewp/${HEI}/institutions?hei_id=${HEI}`;
    const signed = signRequest({ method: 'GET', url: new URL(EWP_ORIGIN + path), body: Buffer.alloc(0), key });
    const res = await get(url + path, signed.headers);
    if (res.status !== 200) throw new Error(`a signed GET ${path} answered HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    return { url, paths: [path], keyPem: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), sample: res.body, close };
  } catch (e) {
    await close();
    return { skipped: `src/ewp is there but a signed request failed: ${(e as Error).message}` };
  }
}
