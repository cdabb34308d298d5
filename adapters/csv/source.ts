import { watch, type FSWatcher } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Source, SourceContext } from '../../src/core/adapter.ts';
import { isHubError, MalformedInputError, TransportError, type HubError } from '../../src/core/errors.ts';
import { sha256Hex } from '../../src/core/ids.ts';
import { checkHeader, decode, detectDelimiter, parseCsv, type ColumnSpec, type CsvEncoding, type Delimiter } from './parse.ts';

export interface FileRule extends ColumnSpec {
  pattern: string;
  entity: string;
}

export interface CsvSourceOptions {
  dir: string;
  processedDir: string;
  quarantineDir: string;
  files: FileRule[];
  encoding: CsvEncoding;
  delimiter: Delimiter;
  mode: 'per-row' | 'all-or-nothing';
  settleMs: number;
  maxFileBytes: number;
  watch: boolean;
}

export interface RowProblem {
  line: number | null;
  code: string;
  message: string;
  /** The stored (rejected) message that keeps the row, where there is one. */
  messageId?: string;
}

export interface FileReport {
  file: string;
  sha256: string;
  readAt: string;
  entity: string | null;
  encoding: string | null;
  delimiter: string | null;
  mode: CsvSourceOptions['mode'];
  rows: number;
  accepted: number;
  rejected: number;
  outcome: 'processed' | 'quarantined';
  /** A problem of the whole file (encoding, header, no matching rule); no row of it was read. */
  fileError?: { code: string; message: string };
  errors: RowProblem[];
  duplicateOf?: string;
}

const IGNORED = /^\.|\.(tmp|part|partial|report\.json)$/i;

/**
 * A watched drop folder of CSV files. Each file is read once: by its content hash it is remembered
 * as processed, then moved to processed/ (or, with any problem, to quarantine/ with a report beside
 * it). Good rows go through and bad rows are reported by line (mode per-row), or nothing of a file
 * with a bad row is read (all-or-nothing).
 */
export class CsvSource implements Source {
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly rules: { re: RegExp; rule: FileRule }[];

  constructor(
    private readonly o: CsvSourceOptions,
    private readonly ctx: SourceContext,
  ) {
    this.rules = o.files.map((rule) => ({ re: new RegExp(rule.pattern, 'i'), rule }));
  }

  async start(): Promise<void> {
    await mkdir(this.o.dir, { recursive: true });
    if (!this.o.watch) return;
    try {
      this.watcher = watch(this.o.dir, () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.ctx.requestSync(), Math.max(200, this.o.settleMs));
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // no watching on this file system: the poll interval finds new files
    }
  }

  async health(): Promise<void> {
    await this.checkDir();
  }

  private async checkDir(): Promise<void> {
    try {
      await access(this.o.dir);
    } catch (e) {
      throw new TransportError(`drop folder ${this.o.dir} is not readable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  }

  async sync(signal: AbortSignal): Promise<void> {
    await this.checkDir();
    const scanAt = new Date().toISOString();
    const names = (await readdir(this.o.dir, { withFileTypes: true }))
      .filter((d) => d.isFile() && !IGNORED.test(d.name))
      .map((d) => d.name)
      .sort();
    let settling = false;
    for (const name of names) {
      if (signal.aborted) return;
      const path = join(this.o.dir, name);
      const st = await stat(path).catch(() => undefined);
      if (!st) continue;
      if (this.o.settleMs > 0 && Date.now() - st.mtimeMs < this.o.settleMs) {
        settling = true; // still being written: next pass
        continue;
      }
      await this.file(name, path, st.size);
    }
    if (!settling) await this.ctx.saveCursor(JSON.stringify({ scannedAt: scanAt, files: names.length }), scanAt);
    else setTimeout(() => this.ctx.requestSync(), this.o.settleMs).unref();
  }

  private async file(name: string, path: string, size: number): Promise<void> {
    const base: FileReport = {
      file: name,
      sha256: '',
      readAt: new Date().toISOString(),
      entity: null,
      encoding: null,
      delimiter: null,
      mode: this.o.mode,
      rows: 0,
      accepted: 0,
      rejected: 0,
      outcome: 'processed',
      errors: [],
    };
    if (size > this.o.maxFileBytes)
      return this.finish(path, { ...base, outcome: 'quarantined', fileError: { code: 'HUB_ERR_PAYLOAD_TOO_LARGE', message: `${size} bytes, over maxFileBytes ${this.o.maxFileBytes}` } });
    const bytes = await readFile(path);
    const sha = sha256Hex(bytes);
    const report: FileReport = { ...base, sha256: sha };
    const key = `sha256:${sha}`;
    const seen = await this.ctx.processed.get(key);
    if (seen) {
      // The same content again: never read twice. Filed where the first one went.
      const prior = seen.detail ? (JSON.parse(seen.detail) as { file: string; outcome: FileReport['outcome'] }) : undefined;
      return this.finish(path, { ...report, outcome: prior?.outcome ?? 'processed', duplicateOf: prior?.file ?? 'an earlier file' }, false);
    }
    const rule = this.rules.find((r) => r.re.test(name))?.rule;
    if (!rule) {
      return this.done(key, path, { ...report, outcome: 'quarantined', fileError: { code: 'HUB_ERR_BAD_REQUEST', message: `no files[] pattern matches the name '${name}'` } });
    }
    report.entity = rule.entity;
    let text: string;
    try {
      const d = decode(bytes, this.o.encoding);
      text = d.text;
      report.encoding = d.encoding;
    } catch (e) {
      return this.done(key, path, { ...report, outcome: 'quarantined', fileError: problem(e) });
    }
    const delimiter = this.o.delimiter === 'auto' ? detectDelimiter(text) : this.o.delimiter;
    report.delimiter = delimiter;
    const parsed = await parseCsv(text, delimiter);
    const headerProblems = checkHeader(parsed.header, rule);
    if (headerProblems.length) {
      return this.done(key, path, { ...report, outcome: 'quarantined', fileError: { code: 'HUB_ERR_MALFORMED_INPUT', message: `line ${parsed.headerLine}: ${headerProblems.join('; ')}` } });
    }
    const good: { line: number; row: Record<string, string> }[] = [];
    const bad: { line: number; fields: string[]; error: HubError }[] = [];
    for (const r of parsed.rows) {
      if (r.fields.length !== parsed.header.length) {
        bad.push({
          line: r.line,
          fields: r.fields,
          error: new MalformedInputError(`line ${r.line}: ${r.fields.length} fields, the header has ${parsed.header.length}`, { extra: { file: name, line: r.line } }),
        });
      } else good.push({ line: r.line, row: Object.fromEntries(parsed.header.map((h, i) => [h, r.fields[i]!])) });
    }
    report.rows = good.length + bad.length;
    if (parsed.error)
      report.errors.push({ line: (parsed.error.extra.line as number | undefined) ?? null, code: parsed.error.code, message: `${parsed.error.message}; the rest of the file was not read` });
    if (this.o.mode === 'all-or-nothing' && (bad.length || parsed.error)) {
      for (const b of bad) report.errors.push({ line: b.line, code: b.error.code, message: b.error.message });
      report.rejected = bad.length;
      return this.done(key, path, { ...report, outcome: 'quarantined', errors: sortByLine(report.errors) });
    }
    for (const b of bad) {
      const messageId = await this.ctx.reject(rule.entity, JSON.stringify({ file: name, line: b.line, fields: b.fields }), 'application/json', b.error);
      report.errors.push({ line: b.line, code: b.error.code, message: b.error.message, messageId });
    }
    const outcomes = good.length ? await this.ctx.emit(good.map((g) => ({ entity: rule.entity, payload: g.row }))) : [];
    outcomes.forEach((o, i) => {
      if (o.status !== 'rejected') return;
      const v = o.error?.violations?.length ? `: ${o.error.violations.map((x) => `${x.path || '/'} ${x.message}`).join('; ')}` : '';
      report.errors.push({ line: good[i]!.line, code: o.error?.code ?? 'HUB_ERR_INTERNAL', message: `${o.error?.detail ?? 'rejected'}${v}`, messageId: o.messageId });
    });
    report.rejected = report.errors.filter((e) => e.line !== null).length;
    report.accepted = report.rows - report.rejected;
    report.errors = sortByLine(report.errors);
    return this.done(key, path, { ...report, outcome: report.errors.length ? 'quarantined' : 'processed' });
  }

  /** Remembers the file as read, then files it away. */
  private async done(key: string, path: string, report: FileReport): Promise<void> {
    await this.ctx.processed.add(key, JSON.stringify({ file: report.file, outcome: report.outcome, at: report.readAt }));
    await this.finish(path, report, true);
  }

  /** Moves the file to processed/ or quarantine/ (a report beside it when it has problems or is a repeat). */
  private async finish(path: string, report: FileReport, first = true): Promise<void> {
    const dir = report.outcome === 'quarantined' ? this.o.quarantineDir : this.o.processedDir;
    await mkdir(dir, { recursive: true });
    const target = await freeName(dir, report.file);
    await rename(path, target);
    if (report.outcome === 'quarantined' || !first) await writeFile(`${target}.report.json`, `${JSON.stringify(report, null, 2)}\n`, 'utf8');
    const log = { file: report.file, outcome: report.outcome, rows: report.rows, rejected: report.rejected, ...(report.duplicateOf ? { duplicateOf: report.duplicateOf } : {}) };
    if (report.outcome === 'quarantined') this.ctx.logger.warn(log, `CSV file quarantined: ${report.fileError?.message ?? `${report.errors.length} problem(s)`}; see ${target}.report.json`);
  }

  async close(): Promise<void> {
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
  }
}

function problem(e: unknown): { code: string; message: string } {
  return isHubError(e) ? { code: e.code, message: e.message } : { code: 'HUB_ERR_INTERNAL', message: (e as Error).message };
}

function sortByLine(errors: RowProblem[]): RowProblem[] {
  return [...errors].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
}

/** `name`, or `name-<time>.ext` when a file of that name is already there. */
async function freeName(dir: string, name: string): Promise<string> {
  const first = join(dir, name);
  if (!(await stat(first).catch(() => undefined))) return first;
  const ext = extname(name);
  return join(dir, `${name.slice(0, name.length - ext.length)}-${new Date().toISOString().replace(/[:.]/g, '')}${ext}`);
}
