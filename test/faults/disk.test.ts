import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseConfig, canonicalPerson, eventually } from '../helpers/hub.ts';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';
import { countingReceiver, needs } from './setup.ts';

const TOKEN = 'disk-fault-admin-token-0123';

/** Whether this machine lets the test give a process a mount of its own (root, or user namespaces). */
function privateMounts(): boolean {
  return (
    spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt'], { stdio: 'ignore' }).status === 0 &&
    spawnSync('nsenter', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

interface DiskHub {
  hub: HubProcess;
  data: string;
  url: string;
  /** Runs a command inside the hub's mount namespace (where its data folder is a small tmpfs). */
  inside(cmd: string): { status: number | null; out: string };
  ingest(from: number, n: number): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/**
 * The embedded hub (SQLite + embedded broker) as a real process whose data folder is a tmpfs of
 * `sizeKb` in a mount namespace of its own: the test fills it, removes files from it, or mounts it
 * read-only, without touching any other file system.
 */
async function diskHub(hookUrl: string, o: { sizeKb: number; readOnly?: boolean }): Promise<DiskHub> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-disk-'));
  const data = join(dir, 'data');
  const configFile = join(dir, 'hub.json');
  writeFileSync(
    configFile,
    JSON.stringify(
      baseConfig({
        sinks: [{ id: 'hook', type: 'webhook', options: { url: hookUrl, secretEnv: 'HOOK_SECRET', timeoutMs: 3000 } }],
        routes: [{ id: 'to-hook', sink: 'hook', match: {}, legalBasis: 'public-task', purpose: 'fault test', retry: { maxAttempts: 50, initialDelayMs: 100, maxDelayMs: 1000 } }],
      }),
    ),
  );
  const port = await freePort();
  const mount = `mkdir -p "$0" && mount -t tmpfs -o size=${o.sizeKb}k tmpfs "$0"${o.readOnly ? ' && mount -o remount,ro "$0"' : ''} && exec "$@"`;
  const hub = runHub(
    ['start', '--config', configFile],
    { DATABASE_URL: '', AMQP_URL: '', HUB_DATA_DIR: data, HUB_ADMIN_TOKEN: TOKEN, HOOK_SECRET: 'k', PORT: String(port), HOST: '127.0.0.1' },
    { prefix: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', mount, data] },
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    hub,
    data,
    url,
    inside: (cmd) => {
      const r = spawnSync('nsenter', ['-t', String(hub.child.pid), '-m', 'sh', '-c', cmd], { encoding: 'utf8' });
      return { status: r.status, out: r.stdout + r.stderr };
    },
    ingest: async (from, n) => {
      const res = await fetch(`${url}/api/v1/ingest/rtu-push/person`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(Array.from({ length: n }, (_, i) => canonicalPerson(from + i))),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
    },
    stop: async () => {
      await hub.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A 503 problem document of the store, with Retry-After. */
function assertStoreOutage(a: { status: number; headers: Headers; body: Record<string, unknown> }, detail: RegExp): void {
  assert.equal(a.status, 503, JSON.stringify(a.body));
  assert.match(a.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.match(a.headers.get('retry-after') ?? '', /^\d+$/);
  assert.equal(a.body.code, 'HUB_ERR_STORE');
  assert.match(String(a.body.detail), detail);
}

describe('fault: the data disk of the embedded mode (a small tmpfs of its own): full, files removed, read-only', function () {
  this.timeout(120_000);
  let rx: Awaited<ReturnType<typeof countingReceiver>>;
  let d: DiskHub | undefined;

  beforeEach(async function () {
    needs(this, [!privateMounts() && 'a private mount namespace with tmpfs (unshare -m, nsenter; root)']);
    rx = await countingReceiver();
  });
  afterEach(async () => {
    await d?.stop();
    d = undefined;
    await rx?.close();
  });

  it('a full disk: ingest answers 503 HUB_ERR_STORE with Retry-After and loses nothing it accepted; with room again it goes on', async () => {
    d = await diskHub(rx.url, { sizeKb: 4096 });
    await d.hub.waitFor('listening on', 60_000);
    const first = await d.ingest(1, 20);
    assert.equal(first.status, 202);
    await eventually(() => rx.counts.size === 20, 30_000, 'the first 20 delivered');
    // Fill the disk: dd stops with "No space left on device".
    const fill = d.inside(`dd if=/dev/zero of="${d.data}/filler" bs=4k; df -k "${d.data}"`);
    assert.match(fill.out, /No space left on device/);
    // Pages SQLite holds already may take a few more records; the next write that needs the disk fails.
    let accepted = 20;
    let next = 21;
    const refused = await eventually(
      async () => {
        const a = await d!.ingest(next, 20);
        if (a.status === 202) {
          accepted += 20;
          next += 20;
          return undefined;
        }
        return a;
      },
      30_000,
      'an ingest refused for want of space',
    );
    assertStoreOutage(refused, /SQLITE_FULL/);
    assert.equal(d.hub.child.exitCode, null, 'the process lives on');
    assert.equal((await fetch(`${d.url}/healthz`)).status, 200);
    // Room again: the refused batch is taken when sent again, and everything accepted is delivered once.
    d.inside(`rm "${d.data}/filler"`);
    assert.equal((await d.ingest(next, 20)).status, 202);
    accepted += 20;
    await eventually(() => rx.counts.size === accepted, 60_000, `all ${accepted} accepted records delivered`);
    assert.equal(rx.duplicates(), 0);
  });

  it('database and broker files removed while running: /readyz 503 naming both files, and writes refused with 503 from then on', async () => {
    d = await diskHub(rx.url, { sizeKb: 4096 });
    await d.hub.waitFor('listening on', 60_000);
    assert.equal((await d.ingest(1, 5)).status, 202);
    await eventually(() => rx.counts.size === 5, 30_000, 'the first 5 delivered');
    d.inside(`rm "${d.data}"/hub.sqlite* "${d.data}"/broker.sqlite*`);
    // /readyz looks at the files every time; the store and broker at most every second, and remember what they saw.
    const ready = await fetch(`${d.url}/readyz`);
    assert.equal(ready.status, 503);
    const checks = ((await ready.json()) as { checks: Record<string, string> }).checks;
    assert.match(checks.store!, /hub\.sqlite was removed while the hub had it open/);
    assert.match(checks.broker!, /broker\.sqlite was removed while the hub had it open/);
    assertStoreOutage(await d.ingest(100, 5), /hub\.sqlite was removed while the hub had it open: writes are refused, restart the hub/);
    assertStoreOutage(await d.ingest(105, 5), /hub\.sqlite was removed/);
    assert.equal(d.hub.child.exitCode, null, 'the process lives on');
  });

  it('a read-only data folder: the hub does not start, and says which file it cannot open', async () => {
    d = await diskHub(rx.url, { sizeKb: 1024, readOnly: true });
    await eventually(() => d!.hub.child.exitCode !== null, 60_000, 'the hub to exit');
    assert.equal(d.hub.child.exitCode, 1);
    assert.match(d.hub.output(), /HUB_ERR_STORE: cannot open SQLite database .*hub\.sqlite/);
  });
});
