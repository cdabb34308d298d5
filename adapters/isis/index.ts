import { readFileSync } from 'node:fs';
import { withScheduleOptions, type SourceContext, type SourceType } from '../../src/core/adapter.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { ISIS_LISTS, type IsisList } from './client.ts';
import { IsisSource } from './source.ts';

const schema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as JsonObject;

/** The options of config.schema.json, defaults filled in. */
export type IsisOptions = {
  endpoint: string;
  wsdlPath?: string;
  timeoutMs: number;
  pageSize: number;
  lists?: IsisList[];
  usernameEnv?: string;
  passwordEnv?: string;
};

const listsOf = (o: IsisOptions): IsisList[] => o.lists ?? ISIS_LISTS.map((l) => l.name);

/** ISIS: a SOAP service described by a WSDL, read by change number (modelled; see README.md). */
export const isisSource: SourceType<IsisOptions> = {
  type: 'isis',
  description: 'Reads an ISIS SOAP service (WSDL in adapters/isis): students, programmes, courses, study rights and results changed after a change number.',
  optionsSchema: withScheduleOptions(schema),
  defaultPollIntervalMs: 60_000,
  entities: (o) => listsOf(o).map((n) => ISIS_LISTS.find((l) => l.name === n)!.entity),
  create(o: IsisOptions, ctx: SourceContext) {
    let basicAuth: { username: string; password: string } | undefined;
    if (o.usernameEnv && o.passwordEnv) {
      const username = ctx.secret(o.usernameEnv);
      const password = ctx.secret(o.passwordEnv);
      if (!username || !password) throw new ConfigError(`source ${ctx.sourceId}: the environment variables ${o.usernameEnv} and ${o.passwordEnv} must both be set`);
      basicAuth = { username, password };
    }
    return new IsisSource(
      {
        endpoint: o.endpoint,
        timeoutMs: o.timeoutMs,
        pageSize: o.pageSize,
        lists: listsOf(o),
        ...(o.wsdlPath ? { wsdlPath: o.wsdlPath } : {}),
        ...(basicAuth ? { basicAuth } : {}),
      },
      ctx,
    );
  },
};
