import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { starterConfigText } from '../src/cli/starter-config.ts';
import { freePort, runHub } from './helpers/process.ts';
import { builtHub } from './helpers/suite-build.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (f: string) => readFileSync(join(root, f), 'utf8');

type Compose = {
  'x-hub': {
    env_file: string | string[];
    environment: Record<string, string>;
    volumes: (string | { type: string; source: string; target: string; read_only?: boolean; bind?: { create_host_path?: boolean } })[];
  };
  services: Record<string, { command?: string[] }>;
};

describe('docker: image and compose', function () {
  this.timeout(180_000);

  it('compose passes every secret the README names, from docker/.env, and mounts hub.json without creating it', () => {
    const compose = parse(read('docker/compose.yaml'), { merge: true }) as Compose;
    const hub = compose['x-hub'];
    assert.deepEqual([hub.env_file].flat(), ['.env']);
    const bind = hub.volumes.find((v) => typeof v === 'object' && v.target === '/config/hub.json');
    assert.deepEqual(bind, { type: 'bind', source: './hub.json', target: '/config/hub.json', read_only: true, bind: { create_host_path: false } });
    assert.equal(hub.environment.HUB_CONFIG, '/config/hub.json');
    // Every secret named in the README's production section is in docker/env.example, and required in compose.
    const readme = read('README.md');
    const production = readme.slice(readme.indexOf('## Running in production'));
    const named = new Set([...production.matchAll(/`([A-Z][A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD))`/g)].map((m) => m[1]!));
    assert.ok(named.size >= 4, [...named].join(', '));
    const example = new Set([...read('docker/env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    for (const n of named) assert.ok(example.has(n), `${n} (README) is not in docker/env.example`);
    for (const n of ['HUB_ADMIN_TOKEN', 'POSTGRES_PASSWORD', 'RABBITMQ_PASSWORD', 'HUB_PSEUDONYM_SECRET']) assert.match(read('docker/compose.yaml'), new RegExp(`\\$\\{${n}:\\?set ${n}`));
    assert.deepEqual(Object.keys(compose.services).sort(), ['api', 'postgres', 'rabbitmq', 'worker']);
  });

  it('the image runs compiled JavaScript: built with npm run build, started without tsx', () => {
    const docker = read('docker/Dockerfile');
    assert.match(docker, /RUN npm run build && npm prune --omit=dev/);
    const runtime = docker.slice(docker.indexOf('AS runtime'));
    assert.match(runtime, /COPY --from=build \/app\/dist \.\//);
    assert.match(runtime, /ENTRYPOINT \["node", "bin\/hub.mjs"\]/);
    assert.doesNotMatch(runtime, /COPY (src|adapters) |tsx/);
  });

  it('npm run build gives a hub that runs from JavaScript alone', async () => {
    // The whole suite has built it once already (test/helpers/suite-build.ts: the same command); alone, this test builds it.
    const shared = await builtHub();
    const out = shared ?? join(root, 'dist', `test-${process.pid}-${Date.now()}`);
    const work = mkdtempSync(join(tmpdir(), 'hub-built-'));
    try {
      if (!shared) {
        // --no-check: the same emit without a second type check of the sources (npm test's checks ran it).
        const b = spawnSync(process.execPath, [join(root, 'bin', 'build.mjs'), out, '--no-check'], { encoding: 'utf8' });
        assert.equal(b.status, 0, b.stdout + b.stderr);
      }
      const sources: string[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name));
          else if (/\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) sources.push(join(d, e.name));
        }
      };
      walk(out);
      assert.deepEqual(sources, [], 'no TypeScript in the build');
      assert.ok(existsSync(join(out, 'src', 'cli', 'main.js')));
      // What bin/hub.mjs runs: the compiled hub bundled (bin/bundle.mjs).
      assert.ok(existsSync(join(out, 'bundle', 'main.js')), 'the bundle');
      const bin = join(out, 'bin', 'hub.mjs');
      const v = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
      assert.equal(v.stdout.trim(), (JSON.parse(read('package.json')) as { version: string }).version, v.stderr);
      writeFileSync(join(work, 'hub.json'), starterConfigText());
      const check = spawnSync(process.execPath, [bin, 'config', 'check', join(work, 'hub.json')], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
      // The whole hub: API, admin console, API docs (their files come along), then a clean stop.
      const port = await freePort();
      const p = runHub(
        ['start', '--config', join(work, 'hub.json')],
        { HUB_DATA_DIR: join(work, 'data'), PORT: String(port), HUB_DEMO_WEBHOOK_SECRET: 'x'.repeat(24), LOG_LEVEL: 'info', HUB_CONFIG: '', DATABASE_URL: '', AMQP_URL: '', HUB_LOG_FORMAT: '' },
        { bin },
      );
      try {
        await p.waitFor(/listening on/);
        for (const path of ['/healthz', '/api/docs', '/api/swagger-ui/swagger-ui-bundle.js', '/api/openapi.json', '/admin/login']) {
          assert.equal((await fetch(`http://127.0.0.1:${port}${path}`)).status, 200, path);
        }
      } finally {
        await p.kill('SIGTERM');
      }
      assert.equal(p.child.exitCode, 0, p.output());
    } finally {
      if (!shared) rmSync(out, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  });
});
