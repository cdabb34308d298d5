import type { Endpoint } from '../endpoint.ts';
import { cnrEndpoints } from './cnr.ts';
import { courseEndpoints } from './courses.ts';
import { echoEndpoints } from './echo.ts';
import { factsheetEndpoints } from './factsheet.ts';
import { fileEndpoints } from './file.ts';
import { iiaEndpoints } from './iias.ts';
import { imobilityEndpoints } from './imobilities.ts';
import { institutionEndpoints } from './institutions.ts';
import { laCnrStatsEndpoints } from './la-cnr-stats.ts';
import { laEndpoints } from './las.ts';
import { omobilityEndpoints } from './omobilities.ts';
import { torEndpoints } from './tors.ts';

/** Every EWP endpoint by its path below /ewp/{heiId}/ (the manifest lists the same paths). */
export const ENDPOINTS: ReadonlyMap<string, Endpoint> = new Map(
  [
    ...echoEndpoints,
    ...institutionEndpoints,
    ...courseEndpoints,
    ...factsheetEndpoints,
    ...iiaEndpoints,
    ...cnrEndpoints,
    ...omobilityEndpoints,
    ...laEndpoints,
    ...laCnrStatsEndpoints,
    ...torEndpoints,
    ...imobilityEndpoints,
    ...fileEndpoints,
  ].map((e) => [e.path, e]),
);
