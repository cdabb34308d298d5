/* global module */
// Mocha options. Under CI (CI set to anything but '', '0' or 'false': the rule of test/helpers/ci.ts,
// checked by test/ci-rules.test.ts) an `.only` or a skipped test fails the run: CI never skips.
const ci = ((v) => !!v && v !== '0' && v !== 'false')((process.env.CI ?? '').trim().toLowerCase());

// Mocha adds files named on the command line to `spec`: `npx mocha test/x.test.ts` would run the
// whole suite. The default applies only when no test file, folder or glob is named.
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && /\.[cm]?[jt]s$|[/*]/.test(a));

// Files that stop or restart a service every other test uses (RabbitMQ's application): run alone,
// after the rest: `npm run test:unit` runs `mocha` (all others, in parallel), then `mocha <these files>`.
const serial = ['test/faults/rabbitmq-restart.test.ts'];

module.exports = {
  'node-option': ['import=tsx'],
  spec: named ? [] : ['test/**/*.test.ts'],
  ignore: named ? [] : serial,
  // The whole suite runs its files in two worker processes (most tests wait on I/O: processes,
  // RabbitMQ, PostgreSQL, browsers); a file named on the command line runs in this process.
  parallel: !named,
  jobs: 2,
  timeout: 20000,
  exit: true,
  'forbid-only': ci,
  'forbid-pending': ci,
};
