import type { ApiName } from '../xml/ns.ts';

/** What a received CNR asks the inbox to fetch again from the partner. */
export type InboxKind = 'iia' | 'iia-approval' | 'omobility' | 'la' | 'tor' | 'imobility';

/** The CNR APIs the hub sends, with the request parameter naming the objects and whether it repeats. */
export const CNR_APIS = {
  iiaCnr: { param: 'iia_id', repeatable: false },
  iiaApprovalCnr: { param: 'iia_id', repeatable: false },
  omobilityCnr: { param: 'omobility_id', repeatable: true },
  omobilityLaCnr: { param: 'omobility_id', repeatable: true },
  imobilityTorCnr: { param: 'omobility_id', repeatable: true },
  imobilityCnr: { param: 'omobility_id', repeatable: true },
} as const satisfies Partial<Record<ApiName, { param: string; repeatable: boolean }>>;
export type CnrApi = keyof typeof CNR_APIS;

export interface CnrTarget {
  api: CnrApi;
  from: string;
  to: string;
  objectId: string;
  /** Extra fixed parameters (omobility-la-cnr: sending_hei_id). */
  extra?: [string, string][];
}
