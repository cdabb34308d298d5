import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { adapters } from '../../adapters/index.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { ENV_VARS } from '../../src/cli/help.ts';
import { starterConfig } from '../../src/cli/starter-config.ts';
import { parseConfigText, validateConfig } from '../../src/config/load.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { baseConfig, schemas } from '../helpers/hub.ts';
import { HUB_BIN } from '../helpers/process.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Runs `hub <args>` in `cwd` with a clean hub environment (no HUB_CONFIG, a temp data dir). */
function hub(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(HUB_|PORT$|DATABASE_URL$|AMQP_URL$)/.test(k)) env[k] = v;
  const r = spawnSync(process.execPath, [HUB_BIN, ...args], { cwd: opts.cwd, encoding: 'utf8', env: { ...env, ...opts.env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function leaves(c: Command, prefix = ''): { name: string; cmd: Command }[] {
  return c.commands.flatMap((sub) => {
    const name = `${prefix}${sub.name()}`;
    return sub.commands.length ? leaves(sub, `${name} `) : [{ name, cmd: sub }];
  });
}

describe('hub command line', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every command a description and an example', () => {
    const all = leaves(buildProgram());
    assert.ok(all.length >= 19, `only ${all.length} commands`);
    for (const { name, cmd } of all) {
      assert.ok(cmd.description().length > 10, `${name}: no description`);
      let help = '';
      cmd.configureOutput({ writeOut: (s) => (help += s) });
      cmd.outputHelp();
      assert.match(help, /Examples?:\n\s+\$ (npx hub|HUB_|PORT=)/, `${name}: no example in --help`);
    }
  });

  it('loads nothing of the hub for --help (the commands are imported when they run)', () => {
    const source = readFileSync(new URL('../../src/cli/main.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    assert.deepEqual(imports, ['node:fs', 'commander', './help.ts']);
    assert.doesNotMatch(readFileSync(new URL('../../src/cli/help.ts', import.meta.url), 'utf8'), /^import /m);
    const r = hub(['--help']);
    assert.equal(r.status, 0);
    for (const v of ENV_VARS) assert.match(r.stdout, new RegExp(`\\b${v.name}\\b`), `${v.name} not in --help`);
    assert.match(r.stdout, /config\s+write, check and show a config file/);
  });

  it('prints its version', () => {
    const r = hub(['--version']);
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('`hub demo --students` takes a whole number from 1 to 100,000, and names the option otherwise', () => {
    for (const bad of ['0', '-3', '2.5', 'many', '100001']) {
      const r = hub(['demo', '--students', bad]);
      assert.equal(r.status, 1, bad);
      assert.match(r.stderr, /option '--students <n>' argument '.*' is invalid\. a whole number from 1 to 100000/, bad);
    }
  });

  it('`hub env` lists the variables with what is set, secrets masked', () => {
    const r = hub(['env'], { env: { DATABASE_URL: 'postgres://hub:s3cret-pw@db:5432/hub', HUB_ADMIN_TOKEN: 'a-very-long-admin-token', PORT: '9999' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /PORT .*\[set: 9999\]/);
    assert.match(r.stdout, /DATABASE_URL .*\[set: postgres:\/\/hub:\*\*\*\*@db:5432\/hub\]/);
    assert.match(r.stdout, /HUB_ADMIN_TOKEN .*\[set: \*\*\*\*\]/);
    assert.doesNotMatch(r.stdout, /s3cret-pw|a-very-long-admin-token/);
  });

  it('`hub config init` writes the demo configuration with comments, which passes `hub config check`', () => {
    const init = hub(['config', 'init'], { cwd: dir });
    assert.equal(init.status, 0, init.stderr);
    const text = readFileSync(join(dir, 'hub.json'), 'utf8');
    assert.match(text, /^\/\/ /m, 'comments explain the file');
    assert.match(text, /resolve under the data dir/);
    assert.deepEqual(parseConfigText(text, 'hub.json'), starterConfig());
    const check = hub(['config', 'check', 'hub.json'], { cwd: dir });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /config OK: 2 institutions, 5 sources, 3 sinks, 3 routes, 1 consumers/);
    const again = hub(['config', 'init'], { cwd: dir });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /hub.json exists: pass --force/);
    assert.equal(hub(['config', 'init', '--out', 'other.json'], { cwd: dir }).status, 0);
    assert.equal(hub(['config', 'init', '--force'], { cwd: dir }).status, 0);
  });

  it('`hub config check` names every problem in one pass: schema, references, sink options, with allowed values', () => {
    const cfg = baseConfig();
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({
        ...cfg,
        sources: [...cfg.sources, { id: 'x', institution: 'vu.lt', mappingSet: 'canonical' }],
        sinks: [...cfg.sinks, { id: 'h', type: 'webhook', options: { url: 'ftp://x' } }],
        routes: [{ id: 'r', sink: 'nowhere', match: {}, legalBasis: 'because', purpose: 'p' }],
      }),
    );
    const r = hub(['config', 'check', 'bad.json'], { cwd: dir });
    assert.equal(r.status, 1);
    for (const line of [
      /\/routes\/0\/legalBasis: must be equal to one of the allowed values: "legal-obligation", "public-task", "contract", "consent", "legitimate-interest", "none"/,
      /\/sources\/2\/institution: unknown institution 'vu.lt'/,
      /\/sinks\/1\/options\/secretEnv: must have required property 'secretEnv'/,
      /\/sinks\/1\/options\/url: must match pattern/,
      /\/routes\/0\/sink: unknown sink 'nowhere'/,
    ]) {
      assert.match(r.stderr, line);
    }
    const json = hub(['config', 'check', 'bad.json', '--json'], { cwd: dir });
    assert.equal(json.status, 1);
    assert.equal((JSON.parse(json.stdout) as { violations: unknown[] }).violations.length, 5);
  });

  it('one pass survives a config whose parts have the wrong shape', () => {
    const opts = { schemas, adapters, mappingsDir: new MappingEngine().dir };
    for (const raw of [{}, { institutions: 'x', sources: [1, null], sinks: [{}], routes: [{ match: 'x' }] }, [], 'text']) {
      assert.throws(
        () => validateConfig(raw, opts),
        (e: Error & { violations?: unknown[] }) => (e.violations?.length ?? 0) > 0,
      );
    }
  });

  it('reads comments and trailing commas, and names the line of a syntax error', () => {
    writeFileSync(join(dir, 'c.json'), `// a comment\n${JSON.stringify(baseConfig(), null, 2).replace(/\n}$/, ',\n}')}\n`);
    assert.equal(hub(['config', 'check', 'c.json'], { cwd: dir }).status, 0);
    writeFileSync(join(dir, 's.json'), '{\n  "institutions": [\n}\n');
    const r = hub(['config', 'check', 's.json'], { cwd: dir });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not valid JSON\n {2}line 3, column 1: ValueExpected/);
  });

  it('`hub config show` prints the effective config, where paths resolve, and masks secrets', () => {
    const cfg = baseConfig({
      sinks: [
        { id: 'out', type: 'file', options: { path: 'out/all.jsonl' } },
        { id: 'h', type: 'webhook', options: { url: 'https://user:hook-pw@hooks.example/in', secretEnv: 'HOOK_SECRET' } },
      ],
    });
    writeFileSync(join(dir, 'hub.json'), JSON.stringify(cfg));
    const r = hub(['config', 'show', 'hub.json'], { cwd: dir, env: { HUB_DATA_DIR: join(dir, 'd'), DATABASE_URL: 'postgres://hub:db-pw@db/hub', HOOK_SECRET: 'x'.repeat(20) } });
    assert.equal(r.status, 0, r.stderr);
    const shown = JSON.parse(r.stdout) as {
      paths: Record<string, string>;
      secrets: Record<string, string>;
      environment: { store: string };
      config: { routes: { retry: { maxDelayMs: number } }[]; sinks: { options: { url?: string } }[] };
    };
    assert.equal(shown.paths['/sinks/0/options/path'], join(dir, 'd', 'out', 'all.jsonl'));
    assert.equal(shown.secrets.HOOK_SECRET, 'set');
    assert.equal(shown.config.routes[0]!.retry.maxDelayMs, 600_000, 'defaults filled in');
    assert.equal(shown.config.sinks[1]!.options.url, 'https://user:****@hooks.example/in');
    assert.equal(shown.environment.store, 'postgres://hub:****@db/hub');
    assert.doesNotMatch(r.stdout, /hook-pw|db-pw|xxxxxxxxxx/);
  });

  it('`hub token create` refuses a consumer, source or entity the config does not have; list and revoke', () => {
    const env = { HUB_DATA_DIR: join(dir, 'data') };
    const bad = hub(['token', 'create', '--name', 'x', '--scope', 'feed:nobody', 'ingest:nowhere', 'read:spaceship'], { env });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /\/scopes\/0: 'feed:nobody': the config has no consumer 'nobody' \(known: rtu-library\)/);
    assert.match(bad.stderr, /\/scopes\/1: 'ingest:nowhere': the config has no source 'nowhere'/);
    assert.match(bad.stderr, /\/scopes\/2: 'read:spaceship': the config has no entity 'spaceship'/);
    // The README's example works against the demo configuration.
    const ok = hub(['token', 'create', '--name', 'library', '--scope', 'feed:rtu-library'], { env });
    assert.equal(ok.status, 0, ok.stderr);
    const [, id, value] = /^token (\S+) .*\n(shub_\S+)$/m.exec(ok.stdout) ?? [];
    assert.ok(id && value, ok.stdout);
    // Against a config file: its consumers count, not the demo's.
    writeFileSync(join(dir, 'hub.json'), JSON.stringify(baseConfig()));
    const other = hub(['token', 'create', '--name', 'library', '--scope', 'feed:rtu-library', '--config', join(dir, 'hub.json')], { env });
    assert.equal(other.status, 1);
    assert.match(other.stderr, /it has no consumers/);

    const list = hub(['token', 'list'], { env });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${id}\\s+library\\s+feed:rtu-library\\s+\\S+ \\S+\\s+active`));
    assert.ok(!list.stdout.includes(value!), 'the value is never listed');
    assert.equal(hub(['token', 'revoke', id!], { env }).status, 0);
    const listed = JSON.parse(hub(['token', 'list', '--json'], { env }).stdout) as { items: { id: string; revokedAt: string | null }[] };
    assert.ok(listed.items.find((t) => t.id === id)?.revokedAt);
    const again = hub(['token', 'revoke', id!], { env });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /no active token/);
  });

  it('`hub audit export --out` prints a summary (JSON with --json) and the file verifies', () => {
    const env = { HUB_DATA_DIR: join(dir, 'data') };
    const r = hub(['audit', 'export', '--out', join(dir, 'log.jsonl'), '--json'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { file: join(dir, 'log.jsonl'), entries: 0, firstSeq: null, lastSeq: null });
    const text = hub(['audit', 'export', '--out', join(dir, 'log.jsonl')], { env });
    assert.match(text.stdout, /^exported 0 entries to .*log.jsonl; check it offline with: npx hub audit verify --file /);
    assert.equal(hub(['audit', 'verify', '--file', join(dir, 'log.jsonl')], { env }).status, 0);
  });
});
