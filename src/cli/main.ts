import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { envTable, examples } from './help.ts';

/**
 * The `hub` command. Each command's module is imported when the command runs, not before: `hub --help`
 * and `hub --version` load commander and nothing of the hub (no store, no Node-RED, no adapters).
 */
type Action = (...args: never[]) => unknown;
const run =
  <M>(load: () => Promise<M>, pick: (m: M) => Action) =>
  async (...args: unknown[]): Promise<void> => {
    const fn = pick(await load()) as (...a: unknown[]) => unknown;
    await fn(...args);
  };

/** An option's value as a whole number from 1 to max; commander says which option is wrong otherwise. */
const positiveInt = (max: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new InvalidArgumentError(`a whole number from 1 to ${max}`);
  return Number(v);
};

const cmd = {
  config: () => import('./commands/config.ts'),
  demo: () => import('./commands/demo.ts'),
  serve: () => import('./commands/serve.ts'),
  token: () => import('./commands/token.ts'),
  audit: () => import('./commands/audit.ts'),
  ewp: () => import('./commands/ewp.ts'),
  emrex: () => import('./commands/emrex.ts'),
  credentials: () => import('./commands/credentials.ts'),
  flows: () => import('./commands/flows.ts'),
  mapping: () => import('./commands/mapping.ts'),
  reconcile: () => import('./commands/reconcile.ts'),
  source: () => import('./commands/source.ts'),
};

export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('hub')
    .description('Study-data hub: adapters, canonical model, durable routing, feeds, registers, EWP.')
    .version(version(), '-V, --version', 'print the version')
    .showSuggestionAfterError()
    .addHelpText('after', `\nEnvironment (read once at start; \`hub env\` shows what is set):\n${envTable()}\n\nDocs: README.md, docs/*.md. Each command has --help with an example.\n`);
  const withConfig = (c: Command) => c.option('-c, --config <file>', 'config file (default: HUB_CONFIG)');

  program
    .command('demo')
    .description('run the hub with demo institutions, simulated study systems, a webhook receiver and a demo feed (npm start)')
    .option('--no-feed', 'do not send demo records')
    .option('--students <n>', 'students in each simulated study system (default: 200 in LAIS, 150 in ISIS)', positiveInt(100_000))
    .addHelpText('after', examples('HUB_ADMIN_TOKEN=change-me-to-something-long npx hub demo', 'PORT=9090 HUB_DATA_DIR=/tmp/hub npx hub demo --no-feed --students 20'))
    .action(run(cmd.demo, (m) => m.demoCommand));
  withConfig(program.command('start').description('API and workers in one process'))
    .addHelpText('after', examples('npx hub start --config hub.json'))
    .action(run(cmd.serve, (m) => (o: { config?: string }) => m.serveCommand('all', o)));
  withConfig(program.command('serve').description('HTTP API only (scale out separately from workers)'))
    .addHelpText('after', examples('PORT=8080 npx hub serve --config hub.json'))
    .action(run(cmd.serve, (m) => (o: { config?: string }) => m.serveCommand('api', o)));
  withConfig(program.command('worker').description('outbox relay, route consumers and source readers; /healthz, /readyz, /metrics on PORT'))
    .addHelpText('after', examples('PORT=8081 npx hub worker --config hub.json'))
    .action(run(cmd.serve, (m) => (o: { config?: string }) => m.serveCommand('worker', o)));

  program
    .command('env')
    .description('the environment variables the hub reads, with what is set now (secrets masked)')
    .addHelpText('after', examples('npx hub env'))
    .action(() => console.log(envTable(process.env)));

  const config = program.command('config').description('write, check and show a config file');
  config
    .command('init')
    .description('write a starter config (the demo\u2019s, with comments) that passes `hub config check`')
    .option('--out <file>', 'where to write it', 'hub.json')
    .option('--force', 'overwrite an existing file')
    .addHelpText('after', examples('npx hub config init', 'npx hub config init --out /etc/hub/hub.json'))
    .action(run(cmd.config, (m) => m.configInitCommand));
  config
    .command('check [file]')
    .description('validate a config file; every error at once, with its path (and the allowed values of an enum)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples('npx hub config check hub.json'))
    .action(run(cmd.config, (m) => m.configCheckCommand));
  config
    .command('show [file]')
    .description('the effective config (defaults filled in, paths resolved) and the settings from the environment, secrets masked')
    .addHelpText('after', examples('npx hub config show hub.json'))
    .action(run(cmd.config, (m) => m.configShowCommand));

  const mapping = program.command('mapping').description('mappings');
  mapping
    .command('test [path]')
    .description('run golden tests of mappings (all, a set folder, or one .jsonata/.test.json file); exit 1 on a failure')
    .addHelpText('after', examples('npx hub mapping test', 'npx hub mapping test mappings/lais'))
    .action(run(cmd.mapping, (m) => async (path: string | undefined) => void (process.exitCode = await m.mappingTestCommand(path))));

  const flows = program.command('flows').description('Node-RED flows (docs/nodered.md)');
  withConfig(
    flows
      .command('check [file]')
      .description('check that every hub node of a flow file (default: the example flows) refers to an existing source, schema or mapping set, and that it holds no secrets; exit 1 with each problem'),
  )
    .option('--json', 'print the report as JSON')
    .addHelpText('after', examples('npx hub flows check', 'npx hub flows check flows/library-feed.json -c hub.json'))
    .action(run(cmd.flows, (m) => m.flowsCheckCommand));

  withConfig(program.command('reconcile <sink>').description('compare what the hub holds with what a register sink holds (sink id or type, e.g. viis); exit 1 on differences'))
    .requiredOption('--institution <id>', 'SCHAC code of the institution')
    .option('--json', 'print the report as JSON (no progress)')
    .addHelpText('after', examples('npx hub reconcile viis --institution rtu.lv --config hub.json'))
    .action(run(cmd.reconcile, (m) => m.reconcileCommand));

  const source = program.command('source').description('sources read by an adapter (docs/sources.md)');
  withConfig(source.command('list').description('sources with their health: last successful read, cursor, records read, errors'))
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('npx hub source list --config hub.json'))
    .action(run(cmd.source, (m) => m.sourceListCommand));
  withConfig(source.command('sync <id>').description('ask the running hub to read a source now and follow the pass to its end (needs a running hub or worker on the same store)'))
    .option('--full', 'read everything again, not only the changes')
    .option('--timeout <seconds>', 'give up waiting after this long', '600')
    .option('--json', 'print the result as JSON (no progress)')
    .addHelpText('after', examples('npx hub source sync lu-lais --full --config hub.json'))
    .action(run(cmd.source, (m) => m.sourceSyncCommand));

  const audit = program.command('audit').description('the disclosure log (docs/privacy.md)');
  audit
    .command('verify')
    .description('check the hash chain of the disclosure log in the store, or of an exported log (--file); exit 1 when broken')
    .option('--file <export.jsonl>', 'an exported log, checked offline')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', examples('npx hub audit verify', 'npx hub audit verify --file log.jsonl'))
    .action(run(cmd.audit, (m) => m.auditVerifyCommand));
  audit
    .command('export')
    .description('write the disclosure log as JSON lines; with --out, progress on a terminal and a summary')
    .option('--out <file>', 'file (default: stdout)')
    .option('--after <seq>', 'entries after this one')
    .option('--json', 'print the summary as JSON (no progress)')
    .addHelpText('after', examples('npx hub audit export --out log.jsonl'))
    .action(run(cmd.audit, (m) => m.auditExportCommand));

  const ewp = program.command('ewp').description('Erasmus Without Paper node (docs/ewp.md)');
  withConfig(ewp.command('keys').description('create the missing EWP key pairs (a client key per HEI, a server key) and print the manifest entries'))
    .option('--bits <n>', 'RSA key size for new keys (at least 2048)')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('npx hub ewp keys --config hub.json'))
    .action(run(cmd.ewp, (m) => m.ewpKeysCommand));

  const emrex = program.command('emrex').description('EMREX and learner records (docs/emrex.md)');
  withConfig(emrex.command('keys').description('the seal key and certificate of ELMO documents: make development ones where there are none, print the certificate'))
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('npx hub emrex keys --config hub.json'))
    .action(run(cmd.emrex, (m) => m.emrexKeysCommand));

  const credentials = program.command('credentials').description('digital credentials: seal keys, the back-catalogue (docs/credentials.md)');
  withConfig(credentials.command('keys').description("an institution's seal key and certificate chain: make development ones where there are none, print the certificate"))
    .requiredOption('--institution <schac>', 'the institution (SCHAC code, as in the config)')
    .option('--algorithm <alg>', 'ES256 (default) or RS256, for new keys')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('npx hub credentials keys --institution lu.lv'))
    .action(run(cmd.credentials, (m) => m.credentialsKeysCommand));
  withConfig(credentials.command('issue').description("credentials for an institution's past awards (the back-catalogue): in batches, resumable, nothing issued twice"))
    .requiredOption('--institution <schac>', 'the institution (SCHAC code, as in the config)')
    .option('--awarded-since <year|date>', 'only awards made on or after (1991 or 1991-09-01)')
    .option('--batch <n>', 'awards issued together (1–5000)', '500')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', examples('npx hub credentials issue --institution lu.lv --awarded-since 1991'))
    .action(run(cmd.credentials, (m) => m.credentialsIssueCommand));

  const token = program.command('token').description('API tokens (stored hashed; a value is shown once)');
  withConfig(token.command('create').description('create a token and print it once; a scope must name a source, consumer or entity the config has'))
    .requiredOption('--name <name>', 'who the token is for')
    .requiredOption('--scope <scope...>', 'admin, metrics, ingest:<source>|ingest:*, read:<entity>|read:*, feed:<consumer>|feed:*')
    .addHelpText('after', examples('npx hub token create --name library --scope feed:rtu-library', 'npx hub token create --name registry --scope read:person read:study-right'))
    .action(run(cmd.token, (m) => m.tokenCreateCommand));
  token
    .command('list')
    .description('the tokens: id, name, scopes, created, revoked (never the values)')
    .option('--json', 'print as JSON')
    .addHelpText('after', examples('npx hub token list'))
    .action(run(cmd.token, (m) => m.tokenListCommand));
  token
    .command('revoke <id>')
    .description('revoke a token at once (its id from `hub token list`); exit 1 when there is no such active token')
    .addHelpText('after', examples('npx hub token revoke 0199c6d2-7a1e-7c3b-9f00-5b1a2c3d4e5f'))
    .action(run(cmd.token, (m) => m.tokenRevokeCommand));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // Output piped into a reader that stops early (`hub token list | head -1`) ends the command quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  await buildProgram().parseAsync(argv);
}
