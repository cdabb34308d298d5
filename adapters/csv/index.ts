import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { withScheduleOptions, type SourceContext, type SourceType } from '../../src/core/adapter.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import type { CsvEncoding, Delimiter } from './parse.ts';
import { CsvSource, type FileRule } from './source.ts';

const schema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as JsonObject;

interface Options {
  dir: string;
  processedDir?: string;
  quarantineDir?: string;
  files: FileRule[];
  encoding?: CsvEncoding;
  delimiter?: Delimiter;
  mode?: 'per-row' | 'all-or-nothing';
  settleMs?: number;
  maxFileBytes?: number;
  watch?: boolean;
}

/** CSV: a watched drop folder of exports (UTF-8 or Windows-1257); see README.md. */
export const csvSource: SourceType = {
  type: 'csv',
  description: 'Reads CSV files dropped into a folder (UTF-8 or Windows-1257), once each; bad files go to quarantine with a report.',
  optionsSchema: withScheduleOptions(schema),
  defaultPollIntervalMs: 10_000,
  entities: (options: JsonObject) => [...new Set((options as unknown as Options).files.map((f) => f.entity))],
  create(options: JsonObject, ctx: SourceContext) {
    const o = options as unknown as Options;
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
        encoding: o.encoding ?? 'auto',
        delimiter: o.delimiter ?? 'auto',
        mode: o.mode ?? 'per-row',
        settleMs: o.settleMs ?? 1000,
        maxFileBytes: o.maxFileBytes ?? 50 * 1024 * 1024,
        watch: o.watch ?? true,
      },
      ctx,
    );
  },
};
