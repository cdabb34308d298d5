import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapters } from '../../adapters/index.ts';
import { LAIS_RESOURCES } from '../../adapters/lais/client.ts';
import { csvSource } from '../../adapters/csv/index.ts';
import { ISIS_LISTS } from '../../adapters/isis/client.ts';
import { isisSource } from '../../adapters/isis/index.ts';
import { IsisSimulator } from '../../adapters/isis/simulator.ts';
import { laisSource } from '../../adapters/lais/index.ts';
import { LaisSimulator } from '../../adapters/lais/simulator.ts';
import type { RawRecord } from '../../src/core/adapter.ts';
import { sourceConformance, type SourceHarness } from './conformance.suite.ts';

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'hub-conf-'));
  dirs.push(d);
  return d;
};

const HARNESSES: Record<string, () => SourceHarness> = {
  lais: () => {
    const sim = new LaisSimulator({ students: 30, resultsPerStudent: 2 });
    let added = 0;
    return {
      type: laisSource,
      mappingSet: 'lais',
      async setup() {
        return { baseUrl: await sim.start(), pageSize: 7, timeoutMs: 2000 };
      },
      total: () => LAIS_RESOURCES.reduce((n, r) => n + sim.count(r.path), 0),
      async change() {
        sim.change('studenti', 1 + (added % 20));
        sim.addResult(added++ % 30);
        return 2;
      },
      async fault() {
        sim.failNext(1, 'http-503');
      },
      key: (r: RawRecord) => {
        const p = r.payload as Record<string, unknown>;
        return `${r.entity}:${String(r.entity === 'person' ? p.studenta_id : r.entity === 'course' ? p.kursa_kods : r.entity === 'programme' ? p.programmas_kods : p.id)}`;
      },
      teardown: () => sim.close(),
    };
  },
  isis: () => {
    const sim = new IsisSimulator({ students: 25, resultsPerStudent: 2 });
    let added = 0;
    return {
      type: isisSource,
      mappingSet: 'isis',
      async setup() {
        return { endpoint: await sim.start(), pageSize: 9, timeoutMs: 5000 };
      },
      total: () => ISIS_LISTS.reduce((n, l) => n + sim.count(l.name), 0),
      async change() {
        sim.change('students', 1 + (added % 20));
        sim.addResult(added++ % 25);
        return 2;
      },
      async fault() {
        sim.failNext(1, 'soap-fault');
      },
      key: (r: RawRecord) => {
        const p = r.payload as Record<string, unknown>;
        return `${r.entity}:${String(r.entity === 'person' ? p.StudentNo : r.entity === 'course' || r.entity === 'programme' ? p.Code : p.Id)}`;
      },
      teardown: () => sim.close(),
    };
  },
  csv: () => {
    const dir = dataDir();
    const drop = join(dir, 'drop');
    let files = 0;
    let rows = 0;
    const file = (n: number) => {
      const lines = Array.from({ length: n }, () => `S${String(++rows).padStart(5, '0')};Kārlis;Zariņš;;;V;;LV`);
      writeFileSync(join(drop, `studenti-${String(++files).padStart(3, '0')}.csv`), `studenta_nr;vards;uzvards;personas_kods;dzimsanas_datums;dzimums;epasts;pilsoniba\n${lines.join('\n')}\n`);
    };
    return {
      type: csvSource,
      mappingSet: 'csv-legacy',
      async setup() {
        mkdirSync(drop, { recursive: true });
        for (let i = 0; i < 3; i++) file(5);
        return {
          dir: drop,
          settleMs: 0,
          watch: false,
          files: [{ pattern: '^studenti', entity: 'person', columns: ['studenta_nr', 'vards', 'uzvards'], allowUnknownColumns: true }],
        };
      },
      total: () => rows,
      async change() {
        file(3);
        return 3;
      },
      async fault() {
        renameSync(drop, `${drop}.unmounted`);
      },
      async heal() {
        renameSync(`${drop}.unmounted`, drop);
      },
      async reset() {
        const processed = join(drop, 'processed');
        if (!existsSync(processed)) return;
        for (const f of readdirSync(processed)) {
          if (f.endsWith('.csv')) renameSync(join(processed, f), join(drop, f));
          else rmSync(join(processed, f));
        }
      },
      key: (r: RawRecord) => `${r.entity}:${String((r.payload as Record<string, unknown>).studenta_nr)}`,
      teardown: async () => undefined,
    };
  },
};

describe('source adapters', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every registered source adapter has a conformance harness', () => {
    assert.deepEqual(adapters.sources.map((s) => s.type).sort(), Object.keys(HARNESSES).sort());
  });

  for (const [name, make] of Object.entries(HARNESSES)) sourceConformance(name, make, dataDir);
});
