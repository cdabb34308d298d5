/* global module */
// Mocha options. Under CI (CI set to anything but '', '0' or 'false': the rule of test/helpers/ci.ts,
// checked by test/ci-rules.test.ts) an `.only` or a skipped test fails the run: CI never skips.
const ci = ((v) => !!v && v !== '0' && v !== 'false')((process.env.CI ?? '').trim().toLowerCase());

// Mocha adds files named on the command line to `spec`: `npx mocha test/x.test.ts` would run the
// whole suite. The default applies only when no test file, folder or glob is named.
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && /\.[cm]?[jt]s$|[/*]/.test(a));

module.exports = {
  'node-option': ['import=tsx'],
  spec: named ? [] : ['test/**/*.test.ts'],
  timeout: 20000,
  exit: true,
  'forbid-only': ci,
  'forbid-pending': ci,
};
