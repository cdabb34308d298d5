import type { HubConfig } from '../config/types.ts';
import { advertiseContactPoint, emrexPublicUrl } from '../emrex/client/settings.ts';
import { sealKey } from '../emrex/seal-key.ts';
import type { EwpServices } from './services.ts';
import { el, type XmlElement } from './xml/build.ts';
import { EMREX_DATA_ACCESS_POINT } from './xml/ns.ts';

/** The name the contact point is listed under. */
export const CONTACT_POINT_NAME = 'EMREX contact point of Latvian higher education (study data hub)';

/** The certificate's DER as base64 (the body of its PEM). */
function derBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/** Whether the manifests carry the entry (`emrex.advertise`, default true with an ewp section) and where the contact point is. */
export function contactPointUrl(config: Pick<HubConfig, 'emrex' | 'ewp'>): string | undefined {
  const origin = emrexPublicUrl(config);
  return advertiseContactPoint(config) && origin ? `${origin}/emrex/` : undefined;
}

/**
 * The hub's EMREX contact point as an `emrex-data-access-point` manifest entry: its URL (`<public URL>/emrex/`),
 * name, country LV, every institution of the hub (the contact point gives each one's results) and the
 * certificate ELMO documents are sealed with (src/emrex/seal-key.ts; a development one is made when there is
 * none, as for the documents). Undefined when the config does not advertise it.
 */
export async function emrexManifestEntry(node: Pick<EwpServices, 'deps' | 'logger'>): Promise<XmlElement | undefined> {
  const { config, dataDir } = node.deps;
  const url = contactPointUrl(config);
  if (!url) return undefined;
  const key = await sealKey({ config, env: { dataDir }, logger: node.logger });
  const m = EMREX_DATA_ACCESS_POINT;
  return el(
    m.name,
    { xmlns: m.ns, version: m.version },
    el('url', {}, url),
    el('name', {}, CONTACT_POINT_NAME),
    el('country-code', {}, 'LV'),
    config.institutions.map((i) => el('institution', {}, i.id)),
    el('certificate', {}, derBase64(key.certificatePem)),
  );
}
