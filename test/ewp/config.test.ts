import assert from 'node:assert/strict';
import { adapters } from '../../adapters/index.ts';
import { validateConfig } from '../../src/config/load.ts';
import { ConfigError, type Violation } from '../../src/core/errors.ts';
import { MAPPINGS_DIR } from '../../src/mapping/engine.ts';
import { schemas } from '../helpers/hub.ts';
import { ewpConfig } from './helpers/ewp.ts';

/** The EWP section cannot publish URLs the hub does not serve, or plain http to the world (issue 15, item 4). */
function violations(baseUrl: string, registryUrl = 'https://dev-registry.erasmuswithoutpaper.eu/catalogue-v1.xml'): Violation[] {
  try {
    validateConfig(ewpConfig({ hei: 'lu.lv', name: 'LU', baseUrl, registryUrl }), { schemas, adapters, mappingsDir: MAPPINGS_DIR });
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.violations;
  }
}

describe('EWP config: the URLs the node publishes and calls', () => {
  it('takes https with the HEI path, any host (a reverse proxy maps it), and http on loopback', () => {
    assert.deepEqual(violations('https://ewp.lu.lv/ewp/lu.lv'), []);
    assert.deepEqual(violations('https://api.lu.lv/gateway/ewp/lu.lv/'), []);
    assert.deepEqual(violations('http://127.0.0.1:8080/ewp/lu.lv', 'http://localhost:9000/catalogue.xml'), []);
  });

  it('refuses plain http to the world, a path the hub does not serve, another HEI’s path, every problem with its path', () => {
    const v = violations('http://ewp.lu.lv/ewp/rtu.lv?x=1', 'http://registry.example/catalogue.xml');
    const at = (p: string) => v.filter((x) => x.path === p).map((x) => x.message);
    assert.ok(
      at('/ewp/heis/0/baseUrl').some((m) => /must be https/.test(m)),
      JSON.stringify(v),
    );
    assert.ok(at('/ewp/heis/0/baseUrl').some((m) => /query or a fragment/.test(m)));
    assert.ok(at('/ewp/heis/0/baseUrl').some((m) => /must end with \/ewp\/lu\.lv/.test(m)));
    assert.deepEqual(at('/ewp/registryUrl'), ['must be https (http only on a loopback host)']);
    assert.match(violations('https://ewp.lu.lv/other')[0]?.message ?? '', /must end with \/ewp\/lu\.lv, the path the hub serves/);
  });
});
