import { readFileSync } from 'node:fs';
import { withScheduleOptions, type SourceContext, type SourceType } from '../../src/core/adapter.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { LAIS_RESOURCES, type LaisResource } from './client.ts';
import { LaisSource } from './source.ts';

const schema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as JsonObject;

/** The options of config.schema.json, defaults filled in. */
export type LaisOptions = {
  baseUrl: string;
  tokenEnv?: string;
  timeoutMs: number;
  pageSize: number;
  resources?: LaisResource[];
  since?: string;
};

const resourcesOf = (o: LaisOptions): LaisResource[] => o.resources ?? LAIS_RESOURCES.map((r) => r.path);

/** LAIS: REST/JSON polled with a changed-since cursor and keyset paging (modelled; see README.md). */
export const laisSource: SourceType<LaisOptions> = {
  type: 'lais',
  description: 'Polls a LAIS REST/JSON interface: changed-since listings of students, study rights, programmes, courses, results and diplomas.',
  optionsSchema: withScheduleOptions(schema),
  defaultPollIntervalMs: 60_000,
  entities: (o) => resourcesOf(o).map((p) => LAIS_RESOURCES.find((r) => r.path === p)!.entity),
  create(o: LaisOptions, ctx: SourceContext) {
    let token: string | undefined;
    if (o.tokenEnv) {
      token = ctx.secret(o.tokenEnv);
      if (!token) throw new ConfigError(`source ${ctx.sourceId}: the environment variable ${o.tokenEnv} (tokenEnv) is not set`);
    }
    return new LaisSource(
      {
        baseUrl: o.baseUrl,
        timeoutMs: o.timeoutMs,
        pageSize: o.pageSize,
        resources: resourcesOf(o),
        ...(token ? { token } : {}),
        ...(o.since ? { since: o.since } : {}),
      },
      ctx,
    );
  },
};
