import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { DisclosureLog, verifyExport, type VerifyReport } from '../../privacy/disclosure-log.ts';
import { PRIVACY_MIGRATIONS } from '../../privacy/migrations.ts';
import { createStore } from '../../store/index.ts';
import type { Store } from '../../store/types.ts';
import { progress } from '../progress.ts';
import { fail, runtime } from '../runtime.ts';
import { BadRequestError } from '../../core/errors.ts';

function print(report: VerifyReport, what: string, json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  if (report.ok) {
    console.log(`${what}: OK, ${report.entries} entries${report.entries ? ` (${report.firstSeq}..${report.lastSeq}), last hash ${report.lastHash}` : ''}`);
    return;
  }
  console.log(`${what}: BROKEN, ${report.problems.length} problem(s) in ${report.entries} entries`);
  for (const p of report.problems) console.log(`  ${p.line !== undefined ? `line ${p.line}, ` : ''}entry ${p.seq ?? '?'}: ${p.problem}`);
}

async function withLog<T>(fn: (log: DisclosureLog, store: Store) => Promise<T>): Promise<T> {
  const rt = runtime();
  const store = await createStore(rt.env);
  try {
    await store.migrate();
    await store.sql.migrate('privacy', PRIVACY_MIGRATIONS);
    return await fn(new DisclosureLog(store.sql), store);
  } finally {
    await store.close();
  }
}

/**
 * `hub audit verify`: checks the disclosure log's hash chain in the store (DATABASE_URL or the SQLite
 * file under HUB_DATA_DIR); `--file export.jsonl` checks an exported log offline, without the hub.
 * Exit code 1 when the chain is broken.
 */
export async function auditVerifyCommand(opts: { file?: string; json?: boolean }): Promise<void> {
  try {
    const report = opts.file ? verifyExport(readFileSync(opts.file, 'utf8')) : await withLog((log) => log.verify());
    print(report, opts.file ? `disclosure log export ${opts.file}` : 'disclosure log', opts.json);
    process.exitCode = report.ok ? 0 : 1;
  } catch (e) {
    fail(e);
  }
}

/**
 * `hub audit export [--out file]`: the disclosure log as JSON lines (stdout by default). With --out, a
 * progress bar on a terminal and a summary line (entries, first and last entry, file); --json prints
 * the summary as JSON.
 */
export async function auditExportCommand(opts: { out?: string; after?: string; json?: boolean }): Promise<void> {
  try {
    const after = opts.after === undefined ? 0 : Number(opts.after);
    if (!Number.isSafeInteger(after) || after < 0) throw new BadRequestError('--after must be an entry number');
    const summary = await withLog(async (log, store) => {
      const file = opts.out ? createWriteStream(opts.out, { mode: 0o600 }) : undefined;
      const out = file ?? process.stdout;
      const bar = progress('audit export', { json: opts.json || !file, unit: 'entries' });
      const [count] = file ? await store.sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM privacy_disclosure_log WHERE seq > ?', [after]) : [];
      if (count) bar.total(Number(count.n));
      let entries = 0;
      let first: number | undefined;
      let last: number | undefined;
      try {
        for await (const line of log.export(after)) {
          if (!out.write(line)) await once(out, 'drain');
          entries++;
          if (file) {
            const seq = (JSON.parse(line) as { seq: number }).seq;
            first ??= seq;
            last = seq;
            if (entries % 500 === 0) bar.update(entries);
          }
        }
        bar.update(entries);
      } finally {
        bar.stop();
      }
      if (file) {
        file.end();
        await once(file, 'finish');
      }
      return { file: opts.out ?? null, entries, firstSeq: first ?? null, lastSeq: last ?? null };
    });
    if (!opts.out) return;
    if (opts.json) console.log(JSON.stringify(summary));
    else
      console.log(
        `exported ${summary.entries} entries${summary.entries ? ` (${summary.firstSeq}..${summary.lastSeq})` : ''} to ${opts.out}; check it offline with: npx hub audit verify --file ${opts.out}`,
      );
  } catch (e) {
    fail(e);
  }
}
