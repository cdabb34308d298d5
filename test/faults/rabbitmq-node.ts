import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../helpers/process.ts';

/** The RabbitMQ scripts: rabbitmq-server and rabbitmqctl in one folder. */
export interface RabbitTools {
  server: string;
  ctl: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds rabbitmq-server on the PATH. Debian's /usr/sbin scripts are wrappers that switch to the
 * rabbitmq user and its data folder; the real scripts they call (/usr/lib/rabbitmq/bin) are used
 * instead, so that a node runs with the folders given to it.
 */
export function findRabbitTools(): RabbitTools | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const server = join(dir, 'rabbitmq-server');
    if (!dir || !executable(server)) continue;
    const text = readFileSync(server, 'utf8');
    const real = /su rabbitmq|rabbitmq-script-wrapper/.test(text) && executable('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin' : dir;
    const ctl = join(real, 'rabbitmqctl');
    if (executable(ctl)) return { server: join(real, 'rabbitmq-server'), ctl };
  }
  return undefined;
}

const run = (file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000) =>
  new Promise<string>((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });

/**
 * A RabbitMQ node of its own (name, ports, data, logs, cookie under a temporary folder, no plugins),
 * for tests that stop and start a broker: the shared node on 5672 is never touched. It registers
 * with the machine's epmd like any node.
 */
export class PrivateRabbitNode {
  readonly node: string;
  readonly dir: string;
  port = 0;
  private env: NodeJS.ProcessEnv = {};
  private pid: number | undefined;

  constructor(private readonly tools: RabbitTools) {
    this.dir = mkdtempSync(join(tmpdir(), 'hub-rabbit-'));
    this.node = `hubfault${randomBytes(3).toString('hex')}@localhost`;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const distPort = await freePort();
    const d = (n: string) => join(this.dir, n);
    for (const sub of ['mnesia', 'log', 'home']) mkdirSync(d(sub), { recursive: true });
    // The CLI and the node find the same cookie in HOME; no cookie of another node is read.
    writeFileSync(join(d('home'), '.erlang.cookie'), randomBytes(16).toString('hex').toUpperCase(), { mode: 0o400 });
    writeFileSync(d('enabled_plugins'), '');
    writeFileSync(d('rabbitmq-env.conf'), '');
    writeFileSync(d('rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${this.port}\nlog.console = false\nlog.file.level = warning\n`);
    this.env = {
      PATH: process.env.PATH,
      HOME: d('home'),
      LANG: 'C.UTF-8',
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      RABBITMQ_MNESIA_BASE: d('mnesia'),
      RABBITMQ_LOG_BASE: d('log'),
      RABBITMQ_PID_FILE: d('rabbitmq.pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: d('enabled_plugins'),
      RABBITMQ_CONFIG_FILE: d('rabbitmq.conf'),
      RABBITMQ_CONF_ENV_FILE: d('rabbitmq-env.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: d('advanced.config'),
    };
    await run(this.tools.server, ['-detached'], this.env);
    // `wait` follows the pid file until the node has started the broker (await_startup needs a running node).
    await run(this.tools.ctl, ['-n', this.node, 'wait', d('rabbitmq.pid'), '--timeout', '90'], this.env, 120_000);
    if (existsSync(d('rabbitmq.pid'))) this.pid = Number(readFileSync(d('rabbitmq.pid'), 'utf8').trim()) || undefined;
  }

  /** Stops the broker application; the Erlang node stays up (rabbitmqctl stop_app). */
  async stopApp(): Promise<void> {
    await run(this.tools.ctl, ['-n', this.node, 'stop_app'], this.env);
  }

  /** Starts the broker application again (rabbitmqctl start_app). */
  async startApp(): Promise<void> {
    await run(this.tools.ctl, ['-n', this.node, 'start_app'], this.env);
  }

  /** Halts the node and removes its folder; the node's own process is killed if it does not halt. */
  async stop(): Promise<void> {
    try {
      if (this.port) await run(this.tools.ctl, ['-n', this.node, 'stop', join(this.dir, 'rabbitmq.pid')], this.env, 60_000);
    } catch {
      if (this.pid) {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** The node's log, for a failure message. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'log', `${this.node}.log`), 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }
}
