import assert from 'node:assert/strict';
import { adapters } from '../../adapters/index.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { HubConfig } from '../../src/config/types.ts';
import { ConfigError, type Violation } from '../../src/core/errors.ts';
import { MAPPINGS_DIR } from '../../src/mapping/engine.ts';
import { baseConfig, schemas } from '../helpers/hub.ts';

function violations(emrex: NonNullable<HubConfig['emrex']>): Violation[] {
  try {
    validateConfig(baseConfig({ emrex }), { schemas, adapters, mappingsDir: MAPPINGS_DIR });
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.violations;
  }
}

describe('EMREX client config: the institutions, their sources and the public URL', () => {
  it('takes a push-only canonical source of the institution and an https public URL (http on loopback)', () => {
    assert.deepEqual(violations({ publicUrl: 'https://hub.example.lv', client: { institutions: [{ id: 'rtu.lv', source: 'rtu-push' }], emreg: 'emreg.json' } }), []);
    assert.deepEqual(violations({ publicUrl: 'http://127.0.0.1:8080', client: { institutions: [{ id: 'rtu.lv', source: 'rtu-push' }] } }), []);
  });

  it('refuses, each with its path: another institution’s source, a source with a mapping set of its own, an unknown institution, plain http, no public URL', () => {
    const v = violations({
      publicUrl: 'http://hub.example.lv',
      client: {
        institutions: [
          { id: 'lu.lv', source: 'rtu-push' },
          { id: 'lu.lv', source: 'lu-lais' },
          { id: 'nobody.lv', source: 'none' },
        ],
        emreg: 'http://emreg.example/list.json',
      },
    });
    const at = (p: string) => v.filter((x) => x.path === p).map((x) => x.message);
    assert.deepEqual(at('/emrex/publicUrl'), ['must be https (http only on a loopback host for development)']);
    assert.match(at('/emrex/client/institutions/0/source')[0] ?? '', /belongs to rtu\.lv, not lu\.lv/);
    assert.ok(at('/emrex/client/institutions/1/source').some((m) => /mapping set 'canonical'/.test(m)));
    assert.match(at('/emrex/client/institutions/1/id')[0] ?? '', /listed twice/);
    assert.match(at('/emrex/client/institutions/2/id')[0] ?? '', /not one of institutions/);
    assert.match(at('/emrex/client/emreg')[0] ?? '', /https/);
    assert.match(violations({ client: { institutions: [{ id: 'rtu.lv', source: 'rtu-push' }] } })[0]?.message ?? '', /needs emrex.publicUrl/);
  });
});
