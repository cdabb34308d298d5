import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { withScheduleOptions, type SourceContext, type SourceType } from '../../src/core/adapter.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import type { CsvEncoding, Delimiter } from './parse.ts';
import { CsvSource, type FileRule } from './source.ts';

const schema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as JsonObject;

/** The options of config.schema.json, defaults filled in. */
export type CsvOptions = {
  dir: string;
  processedDir?: string;
  quarantineDir?: string;
  files: FileRule[];
  encoding: CsvEncoding;
  delimiter: Delimiter;
  mode: 'per-row' | 'all-or-nothing';
  settleMs: number;
  maxFileBytes: number;
  watch: boolean;
};

/** CSV: a watched drop folder of exports (UTF-8 or Windows-1257); see README.md. */
export const csvSource: SourceType<CsvOptions> = {
  type: 'csv',
  description: 'Reads CSV files dropped into a folder (UTF-8 or Windows-1257), once each; bad files go to quarantine with a report.',
  optionsSchema: withScheduleOptions(schema),
  defaultPollIntervalMs: 10_000,
  entities: (o) => [...new Set(o.files.map((f) => f.entity))],
  create(o: CsvOptions, ctx: SourceContext) {
    o.files.forEach((f, i) => {
      try {
        new RegExp(f.pattern, 'i');
      } catch (e) {
        throw new ConfigError(`source ${ctx.sourceId}: files[${i}].pattern is not a regular expression`, { violations: [{ path: `/files/${i}/pattern`, message: (e as Error).message }] });
      }
    });
    const abs = (p: string) => (isAbsolute(p) ? p : join(ctx.dataDir, p));
    const dir = abs(o.dir);
    return new CsvSource(
      {
        dir,
        processedDir: o.processedDir ? abs(o.processedDir) : join(dir, 'processed'),
        quarantineDir: o.quarantineDir ? abs(o.quarantineDir) : join(dir, 'quarantine'),
        files: o.files,
        encoding: o.encoding,
        delimiter: o.delimiter,
        mode: o.mode,
        settleMs: o.settleMs,
        maxFileBytes: o.maxFileBytes,
        watch: o.watch,
      },
      ctx,
    );
  },
};
