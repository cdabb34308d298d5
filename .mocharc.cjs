const { readdirSync } = require('node:fs');
const { join, sep } = require('node:path');

// Mocha options. Under CI (CI set to anything but '', '0' or 'false': the rule of test/helpers/ci.ts,
// checked by test/ci-rules.test.ts) an `.only` or a skipped test fails the run: CI never skips.
const ci = ((v) => !!v && v !== '0' && v !== 'false')((process.env.CI ?? '').trim().toLowerCase());

// Mocha adds files named on the command line to `spec`: `npx mocha test/x.test.ts` would run the
// whole suite. The default applies only when no test file, folder or glob is named.
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && /\.[cm]?[jt]s$|[/*]/.test(a));

// The workers take the files in this order, each the next one when it is free. The longest files
// go first (measured per file in the whole run): the mapping differential (37 mappings × 10,000
// records, about a minute alone) starts at once in a fresh worker while the other worker runs the
// rest, rather than last in a worker whose heap and hooks the files before it have grown (7× slower
// there: 408 s against 56 s alone). Beside it the RabbitMQ restart test (a node of its own; it mostly
// waits). Then the files that spawn hubs or browsers.
const first = [
  'test/mapping-compile.test.ts',
  'test/faults/rabbitmq-restart.test.ts',
  'test/security/editor.test.ts',
  'test/cli/commands.test.ts',
  'test/bench.test.ts',
  'test/cli/process.test.ts',
  'test/faults/worker-kill.test.ts',
  'test/ewp/demo.test.ts',
  'test/broker.test.ts',
];
const all = () =>
  readdirSync(join(__dirname, 'test'), { recursive: true })
    .map((f) => `test/${String(f).split(sep).join('/')}`)
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
const ordered = () => {
  const files = all();
  return [...first.filter((f) => files.includes(f)), ...files.filter((f) => !first.includes(f))];
};

module.exports = {
  'node-option': ['import=tsx'],
  spec: named ? [] : ordered(),
  // The whole suite builds the hub once for the hub processes its tests spawn (test/helpers/suite-build.ts).
  ...(named ? {} : { require: ['test/helpers/suite-build.ts'] }),
  // The whole suite runs its files in three worker processes (most tests wait on I/O: processes,
  // RabbitMQ, PostgreSQL, browsers); a file named on the command line runs in this process.
  parallel: !named,
  // Three, not two, since the hub processes start from the bundle (docs/testing.md: 175–183 s against 201–208 s).
  jobs: 3,
  timeout: 20000,
  exit: true,
  'forbid-only': ci,
  'forbid-pending': ci,
};
