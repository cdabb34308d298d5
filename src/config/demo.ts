import type { HubConfig } from './types.ts';

/**
 * The configuration `npm start` uses when no config file is given: two institutions with one
 * source each, an archive file sink and a webhook sink (the demo starts a receiver for it). With
 * simulator URLs, lu.lv's LAIS is polled by the lais source adapter and a third institution, rsu.lv,
 * is read from its ISIS over SOAP.
 */
export function demoConfig(
  webhookUrl: string,
  simulators: { laisUrl?: string; isisUrl?: string } = {},
  emrex?: { issuer: string; clientId: string; clientUrl: string },
  ewp?: { publicUrl: string; registryUrl: string },
): unknown {
  const config: HubConfig = {
    institutions: [
      { id: 'lu.lv', name: 'Latvijas Universitāte', erasmusCode: 'LV RIGA01' },
      { id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte', erasmusCode: 'LV RIGA02' },
      ...(simulators.isisUrl ? [{ id: 'rsu.lv', name: 'Rīgas Stradiņa universitāte', erasmusCode: 'LV RIGA03' }] : []),
    ],
    sources: [
      {
        id: 'lu-lais',
        institution: 'lu.lv',
        system: 'lais',
        mappingSet: 'lais',
        // With the LAIS simulator running, the hub polls it; without, lu-lais is push-only.
        ...(simulators.laisUrl ? { adapter: { type: 'lais', options: { baseUrl: simulators.laisUrl, pollIntervalMs: 15_000, timeoutMs: 10_000 } } } : {}),
      },
      { id: 'rtu-push', institution: 'rtu.lv', system: 'rtu-sis', mappingSet: 'canonical' },
      // A legacy system's nightly CSV export, imported by the example Node-RED flow flows/scheduled-import.json.
      { id: 'rtu-legacy', institution: 'rtu.lv', system: 'rtu-legacy', mappingSet: 'csv-legacy' },
      // With the ISIS simulator running, rsu.lv's ISIS (SOAP) is read by the isis source adapter.
      ...(simulators.isisUrl
        ? [
            {
              id: 'rsu-isis',
              institution: 'rsu.lv',
              system: 'isis',
              mappingSet: 'isis',
              adapter: { type: 'isis', options: { endpoint: simulators.isisUrl, pollIntervalMs: 20_000, timeoutMs: 10_000 } },
            },
          ]
        : []),
      // The notices of the digital diplomas the hub issues (canonical credential records), one source per institution.
      { id: 'lu-credentials', institution: 'lu.lv', system: 'hub-credentials', mappingSet: 'canonical' },
      { id: 'rtu-credentials', institution: 'rtu.lv', system: 'hub-credentials', mappingSet: 'canonical' },
      ...(simulators.isisUrl ? [{ id: 'rsu-credentials', institution: 'rsu.lv', system: 'hub-credentials', mappingSet: 'canonical' }] : []),
    ],
    sinks: [
      { id: 'archive', type: 'file', options: { path: 'out/archive.jsonl' } },
      { id: 'registry-webhook', type: 'webhook', options: { url: webhookUrl, secretEnv: 'HUB_DEMO_WEBHOOK_SECRET', timeoutMs: 5000 } },
      // Digital diplomas: the hub issues and seals European Digital Credentials (docs/credentials.md).
      { id: 'diplomas', type: 'edc' },
    ],
    routes: [
      { id: 'archive-all', sink: 'archive', match: {}, legalBasis: 'public-task', purpose: 'Institutions keep a copy of every change they send', retry: { maxAttempts: 5, initialDelayMs: 500 } },
      {
        id: 'register-study-rights',
        sink: 'registry-webhook',
        match: { entities: ['person', 'study-right', 'award'] },
        legalBasis: 'legal-obligation',
        purpose: 'Student and graduate register (Cabinet Regulation No. 276)',
        retry: { maxAttempts: 6, initialDelayMs: 1000 },
      },
      {
        id: 'digital-diplomas',
        sink: 'diplomas',
        match: { entities: ['award', 'attainment'] },
        legalBasis: 'public-task',
        purpose: 'digital-diploma',
        recipient: 'graduate',
        retry: { maxAttempts: 6, initialDelayMs: 2000 },
      },
    ],
    credentials: { sources: ['lu-credentials', 'rtu-credentials', ...(simulators.isisUrl ? ['rsu-credentials'] : [])] },
    // The README's feed example: a library system reads persons and study rights of rtu.lv, names only (hub token create --scope feed:rtu-library).
    consumers: [
      {
        id: 'rtu-library',
        description: 'RTU Scientific Library: patron accounts',
        entities: ['person', 'study-right'],
        institutions: ['rtu.lv'],
        fields: { person: ['givenNames', 'familyName', 'identifiers'], 'study-right': ['person', 'programme', 'startDate', 'statusPeriods', 'exmatriculation'] },
        legalBasis: 'contract',
        purpose: 'Library patron accounts for students',
      },
    ],
    // The EMREX contact point with the development OpenID provider and the demo EMREX client (docs/emrex.md).
    ...(emrex
      ? {
          emrex: {
            clients: [{ name: 'emrex-demo-client', returnUrlPrefix: `${emrex.clientUrl}/return` }],
            oidc: { issuer: emrex.issuer, clientId: emrex.clientId },
            consentSource: 'rtu-push',
          },
        }
      : {}),
  };
  return ewp ? withDemoEwp(config, ewp) : config;
}

/** The demo HEIs' EWP sources, keyed by institution (a push-only canonical source each: partner data comes in through it). */
export const DEMO_EWP_SOURCES: Record<string, string> = { 'lu.lv': 'lu-ewp', 'rtu.lv': 'rtu-ewp', 'rsu.lv': 'rsu-ewp' };

/**
 * The demo's EWP node (docs/ewp.md): every demo institution is an EWP HEI under `<publicUrl>/ewp/<heiId>`
 * (the demo's https front on loopback), the registry is the demo's local one, lu.lv's mobility office
 * system sends canonical IIAs, nominations and learning agreements (source lu-erasmus), and the ewp route
 * announces the HEIs' changes to partners within two seconds.
 */
function withDemoEwp(config: HubConfig, ewp: { publicUrl: string; registryUrl: string }): HubConfig {
  const heis = config.institutions.map((i) => i.id).filter((id) => DEMO_EWP_SOURCES[id]);
  return {
    ...config,
    sources: [
      ...config.sources,
      { id: 'lu-erasmus', institution: 'lu.lv', system: 'lu-erasmus', mappingSet: 'canonical' },
      ...heis.map((id) => ({ id: DEMO_EWP_SOURCES[id]!, institution: id, mappingSet: 'canonical' })),
    ],
    sinks: [...config.sinks, { id: 'ewp', type: 'ewp-cnr', options: { batchWindowMs: 2000 } }],
    routes: [
      ...config.routes,
      {
        id: 'ewp-partners',
        sink: 'ewp',
        match: { entities: ['inter-institutional-agreement', 'learning-agreement', 'mobility-period', 'attainment'], institutions: heis },
        legalBasis: 'public-task',
        purpose: 'Erasmus+ mobility with EWP partners',
        retry: { maxAttempts: 8, initialDelayMs: 1000, maxDelayMs: 15_000 },
      },
    ],
    ewp: {
      adminEmail: 'ewp-admin@hub.example',
      registryUrl: ewp.registryUrl,
      heis: heis.map((id) => ({ id, baseUrl: `${ewp.publicUrl}/ewp/${id}`, source: DEMO_EWP_SOURCES[id]! })),
    },
  };
}
