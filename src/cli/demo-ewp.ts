import { join } from 'node:path';
import type { DemoEwpHub } from '../demo/ewp.ts';
import type { EwpNode } from '../ewp/node.ts';
import { KeyStore } from '../ewp/security/keys.ts';
import type { Hub } from '../hub.ts';

/** The EWP key pairs of the demo HEIs, made at first start in `<data dir>/ewp-keys` (development keys, like the demo's seals). */
export function createDemoEwpKeys(dataDir: string, heis: string[]): void {
  const store = new KeyStore(join(dataDir, 'ewp-keys'));
  for (const h of heis) store.clientKey(h);
  store.serverKey();
}

/** What the demo's EWP part (src/demo/ewp.ts) uses of the hub and its EWP node. */
export function demoEwpHub(hub: Hub, node: EwpNode): DemoEwpHub {
  return {
    heis: [...node.settings.heis.values()].map((h) => ({ id: h.id, baseUrl: h.baseUrl })),
    invalidateRegistry: () => node.registry.invalidate(),
    copies: async (entity, heiId) => {
      const hei = node.settings.heis.get(heiId);
      return hei ? (await node.copies(entity, hei)).map((r) => r.sourceId) : [];
    },
    ingest: (source, entity, records) => hub.pipeline.ingest(source, entity, records, 'application/json'),
  };
}
