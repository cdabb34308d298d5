import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { decode, detectDelimiter, firstInvalidUtf8 } from '../../adapters/csv/parse.ts';
import type { FileReport } from '../../adapters/csv/source.ts';
import type { SourceConfig } from '../../src/config/types.ts';
import { EncodingError } from '../../src/core/errors.ts';
import { backends, eventually } from '../helpers/hub.ts';
import { Backing, countMessages, countRecords, passDone, recordOf, sourceConfig, syncNow, type OpenHub } from './helpers.ts';

export const STUDENT_COLUMNS = ['studenta_nr', 'vards', 'uzvards', 'personas_kods', 'dzimsanas_datums', 'dzimums', 'epasts', 'pilsoniba'];
export const RESULT_COLUMNS = ['ieraksta_nr', 'studenta_nr', 'kursa_kods', 'atzime', 'kp', 'datums', 'veids'];

export function csvSourceConfig(options: Record<string, unknown> = {}): SourceConfig {
  return {
    id: 'rtu-csv',
    institution: 'rtu.lv',
    system: 'rtu-export',
    mappingSet: 'csv-legacy',
    adapter: {
      type: 'csv',
      options: {
        dir: 'drop',
        settleMs: 0,
        watch: false,
        pollIntervalMs: 3_600_000,
        retry: { initialDelayMs: 20, maxDelayMs: 100 },
        files: [
          { pattern: '^studenti.*\\.csv$', entity: 'person', columns: ['studenta_nr', 'vards', 'uzvards'], optionalColumns: ['personas_kods', 'dzimsanas_datums', 'dzimums', 'epasts', 'pilsoniba'] },
          { pattern: '^vertejumi.*\\.csv$', entity: 'attainment', columns: RESULT_COLUMNS, optionalColumns: ['iestade'] },
        ],
        ...options,
      },
    },
  };
}

const header = STUDENT_COLUMNS.join(';');
const student = (n: number, given = 'Līga', family = 'Ozoliņa') => `RTU${String(n).padStart(4, '0')};${given};${family};;01.02.2003;S;;LV`;

describe('CSV parsing', () => {
  it('detects UTF-8 (with or without BOM) and Windows-1257', () => {
    const text = 'vards\nĀnis Ķēniņš Žagars\n';
    assert.deepEqual(decode(Buffer.from(`\ufeff${text}`), 'auto'), { text, encoding: 'utf-8' }, 'the BOM is dropped');
    assert.deepEqual(decode(iconv.encode(text, 'win1257'), 'auto'), { text, encoding: 'windows-1257' });
  });

  it('names the byte that breaks the configured encoding', () => {
    const bytes = iconv.encode('vards\nĀnis\n', 'win1257');
    assert.equal(firstInvalidUtf8(bytes), 6);
    assert.throws(
      () => decode(bytes, 'utf-8'),
      (e: unknown) => e instanceof EncodingError && e.extra.byteOffset === 6 && /Windows-1257/.test(e.message),
    );
    assert.throws(
      () => decode(Buffer.from([0x61, 0x0a, 0x81, 0x62]), 'auto'),
      (e: unknown) => e instanceof EncodingError && e.extra.byteOffset === 2,
    );
  });

  it('detects the delimiter from the header line', () => {
    assert.equal(detectDelimiter('a;b;c\n1,5;2;3'), ';');
    assert.equal(detectDelimiter('a,b,c\n'), ',');
    assert.equal(detectDelimiter('a\tb\n'), '\t');
  });
});

for (const backend of backends()) {
  describe(`CSV drop folder source (${backend})`, function () {
    this.timeout(30_000);
    let backing: Backing;
    let t: OpenHub;
    let drop: string;
    const put = (name: string, content: string | Buffer) => writeFileSync(join(drop, name), content);
    const report = (name: string): FileReport => JSON.parse(readFileSync(join(drop, 'quarantine', `${name}.report.json`), 'utf8')) as FileReport;

    before(async () => {
      backing = new Backing(backend);
      t = await backing.open(sourceConfig([csvSourceConfig()]));
      drop = join(backing.dir, 'drop');
      await passDone(t.hub, 'rtu-csv');
    });
    after(async () => {
      await t?.stop();
      await backing?.drop();
    });

    it('reads a UTF-8 file with BOM and ; delimiter, then files it under processed/', async () => {
      put('studenti-utf8.csv', `\ufeff${header}\r\n${student(1)}\r\n${student(2, 'Ģirts', 'Bērziņš').replace(';S;', ';V;')}\r\n`);
      await syncNow(t.hub, 'rtu-csv');
      assert.equal((await recordOf(t.hub, 'person', 'rtu-export', 'RTU0002'))?.data.familyName, 'Bērziņš');
      assert.ok(existsSync(join(drop, 'processed', 'studenti-utf8.csv')));
      assert.ok(!existsSync(join(drop, 'studenti-utf8.csv')));
    });

    it('detects a Windows-1257 export and keeps the diacritics', async () => {
      put('studenti-1257.csv', iconv.encode(`${header}\n${student(3, 'Ķirsis', 'Žagare')}\n`, 'win1257'));
      await syncNow(t.hub, 'rtu-csv');
      const p = await recordOf(t.hub, 'person', 'rtu-export', 'RTU0003');
      assert.equal(p?.data.givenNames, 'Ķirsis');
      assert.equal(p?.data.familyName, 'Žagare');
    });

    it('never reads a processed file twice: the same content again is filed with a note', async () => {
      const before = await countMessages(t.hub, 'rtu-csv');
      put('studenti-again.csv', `\ufeff${header}\r\n${student(1)}\r\n${student(2, 'Ģirts', 'Bērziņš').replace(';S;', ';V;')}\r\n`);
      await syncNow(t.hub, 'rtu-csv');
      assert.equal(await countMessages(t.hub, 'rtu-csv'), before);
      const note = JSON.parse(readFileSync(join(drop, 'processed', 'studenti-again.csv.report.json'), 'utf8')) as FileReport;
      assert.equal(note.duplicateOf, 'studenti-utf8.csv');
    });

    it('per row: good rows go through; a short row and a row the mapping rejects are reported by line, the file quarantined', async () => {
      const rows = [header, student(10), 'RTU0011;Anna', student(12), 'RTU0013;Ilze;Liepiņa;;31.02.2001;S;;LV', student(14)];
      put('studenti-mixed.csv', `${rows.join('\n')}\n`);
      await syncNow(t.hub, 'rtu-csv');
      for (const n of [10, 12, 14]) assert.ok(await recordOf(t.hub, 'person', 'rtu-export', `RTU00${n}`), `row RTU00${n} went through`);
      const r = report('studenti-mixed.csv');
      assert.equal(r.outcome, 'quarantined');
      assert.equal(r.encoding, 'utf-8');
      assert.deepEqual([r.rows, r.accepted, r.rejected], [5, 3, 2]);
      assert.deepEqual(
        r.errors.map((e) => [e.line, e.code]),
        [
          [3, 'HUB_ERR_MALFORMED_INPUT'],
          [5, 'HUB_ERR_MAPPING'],
        ],
      );
      assert.match(r.errors[0]!.message, /2 fields, the header has 8/);
      assert.match(r.errors[1]!.message, /dzimsanas_datums/);
      for (const e of r.errors) {
        const m = await t.hub.store.getMessage(e.messageId!);
        assert.equal(m?.status, 'rejected', 'each bad row is a rejected message');
      }
      assert.ok(existsSync(join(drop, 'quarantine', 'studenti-mixed.csv')));
    });

    it('quarantines a file with missing or unknown columns, reading none of it', async () => {
      const before = await countMessages(t.hub, 'rtu-csv');
      put('studenti-columns.csv', 'studenta_nr;vards;amats\nRTU0020;Anna;docente\n');
      await syncNow(t.hub, 'rtu-csv');
      const r = report('studenti-columns.csv');
      assert.equal(r.fileError?.code, 'HUB_ERR_MALFORMED_INPUT');
      assert.match(r.fileError!.message, /line 1: missing column: uzvards; unknown column: amats/);
      assert.equal(await countMessages(t.hub, 'rtu-csv'), before);
    });

    it('quarantines a file whose name matches no rule', async () => {
      put('kursi.csv', 'kods;nosaukums\nK1;Fizika\n');
      await syncNow(t.hub, 'rtu-csv');
      assert.match(report('kursi.csv').fileError!.message, /no files\[\] pattern matches/);
    });

    it('reads result files through the same folder', async () => {
      put('vertejumi-2024.csv', `${RESULT_COLUMNS.join(',')}\nV-1,RTU0001,DIP101,9,"1,5",20.01.2021,eksāmens\nV-2,RTU0002,DIP102,ieskaitīts,2,20.01.2025,eksāmens\n`);
      await syncNow(t.hub, 'rtu-csv');
      const a = await recordOf(t.hub, 'attainment', 'rtu-export', 'V-1');
      assert.deepEqual(a?.data.credits, { value: 1.5, scheme: 'LV_KP_LEGACY' });
      assert.deepEqual(await countRecords(t.hub, 'rtu-export').then((c) => c.attainment), 2);
    });

    it('watches the folder: a new file is read without waiting for the poll', async () => {
      await t.stop();
      t = await backing.open(sourceConfig([csvSourceConfig({ watch: true, settleMs: 100 })]));
      await passDone(t.hub, 'rtu-csv');
      put('studenti-watched.csv', `${header}\n${student(30)}\n`);
      await eventually(async () => recordOf(t.hub, 'person', 'rtu-export', 'RTU0030'), 10_000, 'the watched file read');
    });
  });

  describe(`CSV drop folder, wrong encoding and all-or-nothing (${backend})`, function () {
    this.timeout(30_000);
    let backing: Backing;
    let t: OpenHub;
    let drop: string;

    before(async () => {
      backing = new Backing(backend);
      drop = join(backing.dir, 'drop');
      mkdirSync(drop, { recursive: true });
      t = await backing.open(sourceConfig([csvSourceConfig({ encoding: 'utf-8', mode: 'all-or-nothing' })]));
      await passDone(t.hub, 'rtu-csv');
    });
    after(async () => {
      await t?.stop();
      await backing?.drop();
    });

    it('quarantines a Windows-1257 file when UTF-8 is configured, naming the byte', async () => {
      writeFileSync(join(drop, 'studenti-enc.csv'), iconv.encode(`${header}\n${student(1, 'Ēriks', 'Ābols')}\n`, 'win1257'));
      await syncNow(t.hub, 'rtu-csv');
      const r = JSON.parse(readFileSync(join(drop, 'quarantine', 'studenti-enc.csv.report.json'), 'utf8')) as FileReport;
      assert.equal(r.fileError?.code, 'HUB_ERR_ENCODING');
      assert.match(r.fileError!.message, /byte \d+ is not valid UTF-8/);
      assert.equal(await countMessages(t.hub, 'rtu-csv'), 0);
    });

    it('all-or-nothing: one malformed row keeps the whole file out', async () => {
      writeFileSync(join(drop, 'studenti-aon.csv'), `${header}\n${student(1)}\nRTU0002;Anna\n${student(3)}\n`);
      await syncNow(t.hub, 'rtu-csv');
      const r = JSON.parse(readFileSync(join(drop, 'quarantine', 'studenti-aon.csv.report.json'), 'utf8')) as FileReport;
      assert.equal(r.outcome, 'quarantined');
      assert.deepEqual(
        r.errors.map((e) => e.line),
        [3],
      );
      assert.equal(r.accepted, 0);
      assert.equal(await countMessages(t.hub, 'rtu-csv'), 0);
      assert.deepEqual(
        readdirSync(drop).filter((f) => f.endsWith('.csv')),
        [],
      );
    });
  });
}
