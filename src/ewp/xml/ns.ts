/**
 * XML namespaces of the EWP specifications the hub speaks (one per API major version). The
 * namespace of a response root names the API version; a client picks the XSD by it.
 */
const GH = 'https://github.com/erasmus-without-paper';

export const NS = {
  xml: 'http://www.w3.org/XML/1998/namespace',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  ewp: `${GH}/ewp-specs-architecture/blob/stable-v1/common-types.xsd`,
  registry: `${GH}/ewp-specs-api-registry/tree/stable-v1`,
  discovery: `${GH}/ewp-specs-api-discovery/tree/stable-v6`,
  sec: `${GH}/ewp-specs-sec-intro/tree/stable-v2`,
  cliauthHttpsig: `${GH}/ewp-specs-sec-cliauth-httpsig/tree/stable-v1`,
  srvauthTlscert: `${GH}/ewp-specs-sec-srvauth-tlscert/tree/stable-v1`,
  srvauthHttpsig: `${GH}/ewp-specs-sec-srvauth-httpsig/tree/stable-v1`,
  reqencrTls: `${GH}/ewp-specs-sec-reqencr-tls/tree/stable-v1`,
  resencrTls: `${GH}/ewp-specs-sec-resencr-tls/tree/stable-v1`,
  address: `${GH}/ewp-specs-types-address/tree/stable-v1`,
  contact: `${GH}/ewp-specs-types-contact/tree/stable-v1`,
  phone: `${GH}/ewp-specs-types-phonenumber/tree/stable-v1`,
  termV1: `${GH}/ewp-specs-types-academic-term/tree/stable-v1`,
  termV2: `${GH}/ewp-specs-types-academic-term/tree/stable-v2`,
  echo: `${GH}/ewp-specs-api-echo/tree/stable-v2`,
  institutions: `${GH}/ewp-specs-api-institutions/tree/stable-v2`,
  ounits: `${GH}/ewp-specs-api-ounits/tree/stable-v2`,
  courses: `${GH}/ewp-specs-api-courses/tree/stable-v1`,
  courseReplication: `${GH}/ewp-specs-api-course-replication/tree/stable-v1`,
  factsheet: `${GH}/ewp-specs-api-factsheet/tree/stable-v1`,
  iiasGet: `${GH}/ewp-specs-api-iias/blob/stable-v7/endpoints/get-response.xsd`,
  iiasIndex: `${GH}/ewp-specs-api-iias/blob/stable-v7/endpoints/index-response.xsd`,
  iiasStats: `${GH}/ewp-specs-api-iias/blob/stable-v7/endpoints/stats-response.xsd`,
  iiasApproval: `${GH}/ewp-specs-api-iias-approval/tree/stable-v2`,
  iiaCnr: `${GH}/ewp-specs-api-iia-cnr/tree/stable-v3`,
  iiaApprovalCnr: `${GH}/ewp-specs-api-iia-approval-cnr/tree/stable-v2`,
  omobilitiesGet: `${GH}/ewp-specs-api-omobilities/blob/stable-v3/endpoints/get-response.xsd`,
  omobilitiesIndex: `${GH}/ewp-specs-api-omobilities/blob/stable-v3/endpoints/index-response.xsd`,
  omobilitiesUpdateReq: `${GH}/ewp-specs-api-omobilities/blob/stable-v3/endpoints/update-request.xsd`,
  omobilitiesUpdateRes: `${GH}/ewp-specs-api-omobilities/blob/stable-v3/endpoints/update-response.xsd`,
  omobilityCnr: `${GH}/ewp-specs-api-omobility-cnr/tree/stable-v2`,
  lasGet: `${GH}/ewp-specs-api-omobility-las/blob/stable-v1/endpoints/get-response.xsd`,
  lasIndex: `${GH}/ewp-specs-api-omobility-las/blob/stable-v1/endpoints/index-response.xsd`,
  lasUpdateReq: `${GH}/ewp-specs-api-omobility-las/blob/stable-v1/endpoints/update-request.xsd`,
  lasUpdateRes: `${GH}/ewp-specs-api-omobility-las/blob/stable-v1/endpoints/update-response.xsd`,
  lasStats: `${GH}/ewp-specs-api-omobility-las/blob/stable-v1/endpoints/stats-response.xsd`,
  laCnr: `${GH}/ewp-specs-api-omobility-la-cnr/tree/stable-v1`,
  laCnrStats: `${GH}/ewp-specs-api-omobility-la-cnr/tree/stable-v1/endpoints/stats-response.xsd`,
  torsGet: `${GH}/ewp-specs-api-imobility-tors/blob/stable-v3/endpoints/get-response.xsd`,
  torsIndex: `${GH}/ewp-specs-api-imobility-tors/blob/stable-v3/endpoints/index-response.xsd`,
  omobilityStats: `${GH}/ewp-specs-api-omobility-stats/tree/stable-v1`,
  torStats: `${GH}/ewp-specs-api-imobility-tor-stats/tree/stable-v1`,
  torCnr: `${GH}/ewp-specs-api-imobility-tor-cnr/tree/stable-v2`,
  imobilitiesGet: `${GH}/ewp-specs-api-imobilities/blob/stable-v2/endpoints/get-response.xsd`,
  imobilityCnr: `${GH}/ewp-specs-api-imobility-cnr/tree/stable-v2`,
  elmo: 'https://github.com/emrex-eu/elmo-schemas/tree/v2',
} as const;

/** Namespace of each API's manifest entry (`<apis-implemented>` child), with the element name. */
export const MANIFEST_ENTRY = {
  discovery: { ns: `${GH}/ewp-specs-api-discovery/blob/stable-v6/manifest-entry.xsd`, name: 'discovery', version: '6.0.0' },
  echo: { ns: `${GH}/ewp-specs-api-echo/blob/stable-v2/manifest-entry.xsd`, name: 'echo', version: '2.0.1' },
  institutions: { ns: `${GH}/ewp-specs-api-institutions/blob/stable-v2/manifest-entry.xsd`, name: 'institutions', version: '2.2.0' },
  ounits: { ns: `${GH}/ewp-specs-api-ounits/blob/stable-v2/manifest-entry.xsd`, name: 'organizational-units', version: '2.1.1' },
  courses: { ns: `${GH}/ewp-specs-api-courses/blob/stable-v1/manifest-entry.xsd`, name: 'courses', version: '0.7.1' },
  courseReplication: { ns: `${GH}/ewp-specs-api-course-replication/blob/stable-v1/manifest-entry.xsd`, name: 'simple-course-replication', version: '1.0.0' },
  factsheet: { ns: `${GH}/ewp-specs-api-factsheet/blob/stable-v1/manifest-entry.xsd`, name: 'factsheet', version: '1.2.0' },
  iias: { ns: `${GH}/ewp-specs-api-iias/blob/stable-v7/manifest-entry.xsd`, name: 'iias', version: '7.0.0' },
  iiasApproval: { ns: `${GH}/ewp-specs-api-iias-approval/blob/stable-v2/manifest-entry.xsd`, name: 'iias-approval', version: '2.0.0' },
  iiaCnr: { ns: `${GH}/ewp-specs-api-iia-cnr/blob/stable-v3/manifest-entry.xsd`, name: 'iia-cnr', version: '3.0.0' },
  iiaApprovalCnr: { ns: `${GH}/ewp-specs-api-iia-approval-cnr/blob/stable-v2/manifest-entry.xsd`, name: 'iia-approval-cnr', version: '2.0.0' },
  omobilities: { ns: `${GH}/ewp-specs-api-omobilities/blob/stable-v3/manifest-entry.xsd`, name: 'omobilities', version: '3.0.0' },
  omobilityCnr: { ns: `${GH}/ewp-specs-api-omobility-cnr/blob/stable-v2/manifest-entry.xsd`, name: 'omobility-cnr', version: '2.0.0' },
  omobilityLas: { ns: `${GH}/ewp-specs-api-omobility-las/blob/stable-v1/manifest-entry.xsd`, name: 'omobility-las', version: '1.2.0' },
  omobilityLaCnr: { ns: `${GH}/ewp-specs-api-omobility-la-cnr/blob/stable-v1/manifest-entry.xsd`, name: 'omobility-la-cnr', version: '1.1.0' },
  imobilityTors: { ns: `${GH}/ewp-specs-api-imobility-tors/blob/stable-v3/manifest-entry.xsd`, name: 'imobility-tors', version: '3.0.0' },
  imobilityTorCnr: { ns: `${GH}/ewp-specs-api-imobility-tor-cnr/blob/stable-v2/manifest-entry.xsd`, name: 'imobility-tor-cnr', version: '2.0.0' },
  omobilityStats: { ns: `${GH}/ewp-specs-api-omobility-stats/blob/stable-v1/manifest-entry.xsd`, name: 'omobility-stats', version: '1.0.0' },
  imobilityTorStats: { ns: `${GH}/ewp-specs-api-imobility-tor-stats/blob/stable-v1/manifest-entry.xsd`, name: 'imobility-tor-stats', version: '1.0.0' },
  imobilities: { ns: `${GH}/ewp-specs-api-imobilities/blob/stable-v2/manifest-entry.xsd`, name: 'imobilities', version: '2.0.0' },
  imobilityCnr: { ns: `${GH}/ewp-specs-api-imobility-cnr/blob/stable-v2/manifest-entry.xsd`, name: 'imobility-cnr', version: '2.0.0' },
  file: { ns: `${GH}/ewp-specs-api-file/blob/stable-v1/manifest-entry.xsd`, name: 'file', version: '1.0.0' },
  /** Served by the EWP Stats Portal only; the hub is its client (client/monitoring.ts). */
  monitoring: { ns: `${GH}/ewp-specs-api-monitoring/blob/stable-v1/manifest-entry.xsd`, name: 'monitoring', version: '0.2.0' },
} as const;

export type ApiName = keyof typeof MANIFEST_ENTRY;

/** The manifest entry of an EMREX contact point (ewp-specs-api-emrex-data-access-point): not an API the node serves, a listing. */
export const EMREX_DATA_ACCESS_POINT = { ns: `${GH}/ewp-specs-api-emrex-data-access-point/blob/stable-v1/manifest-entry.xsd`, name: 'emrex-data-access-point', version: '1.0.0' } as const;
