import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.ts';
import { freePort, HUB_BIN, runHub, type HubProcess } from './helpers/process.ts';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The README's shell blocks, each as its lines (comments at line ends kept: bash drops them). */
function shellBlocks(): string[] {
  return [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** Every `npx hub …` command of the README's shell blocks, without its trailing comment. */
function hubCommands(): string[] {
  return shellBlocks()
    .flatMap((b) => b.split('\n'))
    .flatMap((l) => [...l.matchAll(/npx hub ([^#|)]*)/g)].map((m) => m[1]!.trim()));
}

/** Finds the command a README line names and checks its options exist; returns the problem, if any. */
function problemOf(line: string, program: Command): string | undefined {
  const words = line.split(/\s+/).filter(Boolean);
  let cmd = program;
  while (words.length && !words[0]!.startsWith('-')) {
    const sub = cmd.commands.find((c) => c.name() === words[0]);
    if (!sub) break;
    cmd = sub;
    words.shift();
  }
  if (cmd === program) return words[0] === '--help' || words[0] === '--version' ? undefined : `no command '${words[0]}'`;
  if (cmd.commands.length) return `'${cmd.name()}' needs a subcommand`;
  for (const w of words.filter((x) => x.startsWith('-'))) {
    if (w === '--help') continue;
    if (!cmd.options.some((o) => o.long === w || o.short === w)) return `'${cmd.name()}' has no option ${w}`;
  }
  for (const o of cmd.options.filter((x) => x.mandatory)) if (!words.includes(o.long!)) return `'${cmd.name()}' needs ${o.long}`;
  return undefined;
}

describe('README', function () {
  this.timeout(120_000);

  it('names only commands and options the hub has', () => {
    const program = buildProgram();
    const lines = hubCommands();
    assert.ok(lines.length >= 20, `${lines.length} commands found`);
    assert.deepEqual(
      lines.map((l) => [l, problemOf(l, program)]).filter(([, p]) => p),
      [],
    );
    // The checker can fail.
    assert.match(problemOf('config chek x', program) ?? '', /needs a subcommand/);
    assert.match(problemOf('reconcile viis', program) ?? '', /needs --institution/);
    assert.match(problemOf('token list --all', program) ?? '', /no option --all/);
  });

  describe('the first hour, run as written against `npm start` (hub demo)', () => {
    let dir: string;
    let hub: HubProcess;
    let port: number;
    const token = 'change-me-to-something-long';
    /** Runs a README shell block with bash: `npx hub` is this clone's bin/hub.mjs, localhost:8080 the test's port. */
    const run = (block: string) => {
      const script = block.replaceAll('npx hub ', `node ${HUB_BIN} `).replaceAll('localhost:8080', `localhost:${port}`);
      return spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, HUB_ADMIN_TOKEN: token, HUB_DATA_DIR: join(dir, 'data'), PORT: String(port), HUB_CONFIG: '', DATABASE_URL: '', AMQP_URL: '' },
      });
    };
    const blockWith = (text: string) => {
      const b = shellBlocks().find((x) => x.includes(text));
      assert.ok(b, `no shell block with ${text}`);
      return b;
    };

    before(async function () {
      if (!existsSync('/usr/bin/curl') && !existsSync('/bin/curl')) {
        if (process.env.CI === 'true') assert.fail('CI needs curl for the README test');
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'hub-readme-'));
      port = await freePort();
      // The demo without the Node-RED editor (its own tests cover it), without the demo feed (the README's
      // records only), and with 20 simulated students a system.
      hub = runHub(['demo', '--no-feed', '--students', '20'], {
        HUB_DATA_DIR: join(dir, 'data'),
        PORT: String(port),
        HUB_ADMIN_TOKEN: token,
        HUB_NODERED: 'off',
        HUB_CONFIG: '',
        LOG_LEVEL: 'info',
        DATABASE_URL: '',
        AMQP_URL: '',
      });
      await hub.waitFor('Study-data hub demo is running', 60_000);
    });
    after(async () => {
      await hub?.kill('SIGTERM');
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the banner quotes its curl lines', () => {
      const banner = hub.output();
      assert.match(banner, /curl -s -X POST 'http:\/\/localhost:\d+\/api\/v1\/ingest\/rtu-push\/person'/);
      assert.match(banner, /curl -s 'http:\/\/localhost:\d+\/api\/v1\/messages\?limit=5'/);
      assert.match(banner, /LAIS sim: +http:\/\/\S+ \(20 students;/, 'the banner names the simulated students (--students)');
    });

    it('the first record is answered as the README shows', () => {
      const r = run(blockWith("-X POST 'localhost:8080/api/v1/ingest/rtu-push/person'"));
      assert.equal(r.status, 0, r.stderr);
      const [ingest, messages] = r.stdout.split('\n').filter(Boolean).length === 1 ? splitJson(r.stdout) : r.stdout.split('\n');
      const got = JSON.parse(ingest!) as { accepted: number; messages: Record<string, unknown>[] };
      const shown = JSON.parse(/```json\n(.*)\n```/.exec(README)![1]!) as { accepted: number; messages: Record<string, unknown>[] };
      assert.deepEqual(Object.keys(got), Object.keys(shown));
      assert.deepEqual(Object.keys(got.messages[0]!), Object.keys(shown.messages[0]!));
      assert.deepEqual({ ...got.messages[0], messageId: '', recordId: '' }, { ...shown.messages[0], messageId: '', recordId: '' });
      assert.ok((JSON.parse(messages!) as { items: unknown[] }).items.length >= 1);
    });

    it('a config to start from, and a token that reads the feed as the demo\u2019s consumer', () => {
      const r = run(blockWith('npx hub config init'));
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.ok(existsSync(join(dir, 'hub.json')));
      assert.match(r.stdout, /config OK/);
      const feed = JSON.parse(r.stdout.trim().split('\n').pop()!) as { consumer: string; items: { record?: { familyName?: string; birthDate?: string } }[] };
      assert.equal(feed.consumer, 'rtu-library');
      assert.ok(feed.items.length >= 1, 'the record sent above is in the feed');
    });
  });
});

/** Two JSON documents printed back to back on one line (curl adds no newline). */
function splitJson(text: string): string[] {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) return [text.slice(0, i + 1), text.slice(i + 1)];
  }
  return [text];
}
