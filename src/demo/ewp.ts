import type { RequestListener } from 'node:http';
import { get } from 'node:https';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { TransportError, type Violation } from '../core/errors.ts';
import { CHANGES_ID, IIA_ID, OMOBILITY_ID, RECEIVING, SENDING, receivingRecords, sendingRecords } from './ewp-records.ts';
import { LocalRegistry } from './ewp-registry.ts';
import { devTlsCertificate, startTlsFront, trustDevCa, type TlsFront } from './ewp-tls.ts';

/** The sources the exchange's records come in through (src/config/demo.ts). */
export const SENDING_SOURCE = 'lu-erasmus';
export const RECEIVING_SOURCE = 'rtu-push';

/**
 * The demo's EWP network on loopback: an https front (the demo HEIs' EWP host, a development
 * certificate the process trusts) and a local registry. Made before the config, which names both.
 */
export interface DemoEwp {
  front: TlsFront;
  registry: LocalRegistry;
  /** `https://127.0.0.1:<port>`: the HEIs' base URLs are `<publicUrl>/ewp/<heiId>`. */
  publicUrl: string;
  registryUrl: string;
  close(): Promise<void>;
}

export async function prepareDemoEwp(dataDir: string): Promise<DemoEwp> {
  const tls = await devTlsCertificate(join(dataDir, 'ewp-tls'));
  trustDevCa(tls.caPem);
  const front = await startTlsFront(tls);
  const registry = await new LocalRegistry().start();
  return {
    front,
    registry,
    publicUrl: front.url,
    registryUrl: registry.url,
    close: async () => {
      await front.close();
      await registry.close();
    },
  };
}

/** What the demo uses of the hub and its EWP node (src/cli/demo-ewp.ts gives it). */
export interface DemoEwpHub {
  /** The EWP HEIs with their base URLs. */
  heis: { id: string; baseUrl: string }[];
  /** Makes the node read the registry catalogue again at its next call. */
  invalidateRegistry(): void;
  /** Source ids of the partner copies the node holds for a HEI. */
  copies(entity: string, heiId: string): Promise<string[]>;
  ingest(source: string, entity: string, records: Record<string, unknown>[]): Promise<{ status: string; messageId: string; error?: { detail: string; violations: Violation[] } | undefined }[]>;
}

function httpsText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new TransportError(`${url}: HTTP ${res.statusCode}`))));
    }).on('error', (e) => reject(new TransportError(`${url}: ${e.message}`, { cause: e })));
  });
}

/**
 * Once the hub runs: the front serves its app, the registry lists every demo HEI from its manifest
 * (read over https, as the registry reads them), and the hub's registry client is told to read it again.
 */
export async function publishDemoEwp(demo: DemoEwp, hub: DemoEwpHub, app: RequestListener): Promise<void> {
  demo.front.handler = app;
  const manifests: string[] = [];
  for (const h of hub.heis) manifests.push(await httpsText(`${h.baseUrl}/manifest.xml`));
  demo.registry.publish(manifests);
  hub.invalidateRegistry();
}

async function ingestAll(hub: DemoEwpHub, source: string, records: Record<string, Record<string, unknown>[]>): Promise<string[]> {
  const problems: string[] = [];
  for (const [entity, list] of Object.entries(records)) {
    const results = await hub.ingest(source, entity, list);
    for (const r of results.filter((x) => x.status === 'rejected'))
      problems.push(`${entity} ${r.messageId}: ${r.error?.detail ?? 'rejected'}${r.error?.violations.length ? ` (${r.error.violations.map((v) => `${v.path} ${v.message}`).join('; ')})` : ''}`);
  }
  return problems;
}

/** What the exchange has delivered so far, as each side's EWP copies show it. */
export async function exchangeProgress(hub: DemoEwpHub): Promise<{ iia: boolean; nomination: boolean; learningAgreement: boolean; torResults: number }> {
  const has = async (entity: string, sourceId: string) => (await hub.copies(entity, RECEIVING)).includes(sourceId);
  return {
    iia: await has('inter-institutional-agreement', `iia/${SENDING}/${IIA_ID}`),
    nomination: await has('mobility-period', `omobility/${SENDING}/${OMOBILITY_ID}`),
    learningAgreement: await has('learning-agreement', `la/${SENDING}/${OMOBILITY_ID}/proposal/${CHANGES_ID}`),
    torResults: (await hub.copies('attainment', SENDING)).filter((id) => id.startsWith(`tor/${RECEIVING}/${OMOBILITY_ID}/`)).length,
  };
}

/**
 * The scripted exchange: lu.lv's system sends an IIA with rtu.lv, a nomination and its learning
 * agreement; rtu.lv's system sends the incoming student's results. Everything goes through the pipeline,
 * so the ewp route sends the CNRs and each side's EWP node fetches what the other announced, over
 * signed https calls. One line is logged when rtu.lv holds the IIA, the nomination and the LA, and
 * lu.lv the transcript (or a warning naming what is missing after `timeoutMs`).
 */
export async function runDemoExchange(hub: DemoEwpHub, log: Logger, o: { timeoutMs?: number; everyMs?: number; adminUrl?: string } = {}): Promise<boolean> {
  const problems = [...(await ingestAll(hub, SENDING_SOURCE, sendingRecords())), ...(await ingestAll(hub, RECEIVING_SOURCE, receivingRecords()))];
  if (problems.length) log.warn({ problems }, 'EWP demo exchange: records rejected by the pipeline');
  const until = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    const p = await exchangeProgress(hub);
    if (p.iia && p.nomination && p.learningAgreement && p.torResults >= 2) {
      log.info(
        `EWP demo exchange done: ${SENDING} → ${RECEIVING} IIA ${IIA_ID}, nomination ${OMOBILITY_ID} and its learning agreement; ${RECEIVING} → ${SENDING} the transcript (${p.torResults} results)${o.adminUrl ? `; see ${o.adminUrl}` : ''}`,
      );
      return true;
    }
    if (Date.now() >= until) {
      log.warn({ progress: p }, 'EWP demo exchange not complete; the CNR queues keep retrying (see the admin console)');
      return false;
    }
    await new Promise((r) => setTimeout(r, o.everyMs ?? 1000));
  }
}
