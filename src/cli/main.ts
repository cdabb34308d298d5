import { Command } from 'commander';
import { tokenCreateCommand } from './commands/admin.ts';
import { auditExportCommand, auditVerifyCommand } from './commands/audit.ts';
import { configCheckCommand } from './commands/config.ts';
import { demoCommand } from './commands/demo.ts';
import { ewpKeysCommand } from './commands/ewp.ts';
import { flowsCheckCommand } from './commands/flows.ts';
import { mappingTestCommand } from './commands/mapping.ts';
import { reconcileCommand } from './commands/reconcile.ts';
import { serveCommand } from './commands/serve.ts';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('hub').description('Study-data hub: adapters, canonical model, durable routing.');
  const withConfig = (c: Command) => c.option('-c, --config <file>', 'config file (default: HUB_CONFIG)');

  program.command('demo').description('run the hub with demo institutions, a webhook receiver and a demo feed (npm start)').option('--no-feed', 'do not send demo records').action(demoCommand);
  withConfig(program.command('start').description('API and workers in one process')).action((o: { config?: string }) => serveCommand('all', o));
  withConfig(program.command('serve').description('HTTP API only (scale out separately from workers)')).action((o: { config?: string }) => serveCommand('api', o));
  withConfig(program.command('worker').description('outbox relay and route consumers only')).action((o: { config?: string }) => serveCommand('worker', o));

  const config = program.command('config').description('configuration');
  config.command('check [file]').description('validate a config file; every error with its path').action(configCheckCommand);

  const mapping = program.command('mapping').description('mappings');
  mapping
    .command('test [path]')
    .description('run golden tests of mappings (all, a set folder, or one .jsonata/.test.json file)')
    .action(async (path: string | undefined) => {
      process.exitCode = await mappingTestCommand(path);
    });

  const flows = program.command('flows').description('Node-RED flows (docs/nodered.md)');
  withConfig(flows.command('check [file]').description('check that every hub node of a flow file (default: the example flows) refers to an existing source, schema or mapping set, and that it holds no secrets; exit 1 with each problem'))
    .option('--json', 'print the report as JSON')
    .action(flowsCheckCommand);

  withConfig(program.command('reconcile <sink>').description('compare what the hub holds with what a register sink holds (sink id or type, e.g. viis); exit 1 on differences'))
    .requiredOption('--institution <id>', 'SCHAC code of the institution')
    .option('--json', 'print the report as JSON')
    .action(reconcileCommand);

  const audit = program.command('audit').description('the disclosure log (docs/privacy.md)');
  audit
    .command('verify')
    .description('check the hash chain of the disclosure log in the store, or of an exported log (--file); exit 1 when broken')
    .option('--file <export.jsonl>', 'an exported log, checked offline')
    .option('--json', 'print the report as JSON')
    .action(auditVerifyCommand);
  audit.command('export').description('write the disclosure log as JSON lines').option('--out <file>', 'file (default: stdout)').option('--after <seq>', 'entries after this one').action(auditExportCommand);

  const ewp = program.command('ewp').description('Erasmus Without Paper node (docs/ewp.md)');
  withConfig(ewp.command('keys').description('create the missing EWP key pairs (a client key per HEI, a server key) and print the manifest entries'))
    .option('--bits <n>', 'RSA key size for new keys (at least 2048)')
    .option('--json', 'print as JSON')
    .action(ewpKeysCommand);

  const token = program.command('token').description('API tokens');
  token
    .command('create')
    .requiredOption('--name <name>', 'who the token is for')
    .requiredOption('--scope <scope...>', 'admin, metrics, ingest:<source>|ingest:*, read:<entity>|read:*')
    .action(tokenCreateCommand);

  await program.parseAsync(argv);
}
