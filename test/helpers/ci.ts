/**
 * One rule for what the test suite may leave out. Outside CI a test that lacks a service, a browser
 * or the EWP specs folder is skipped, saying why. Under CI it fails instead: CI never skips.
 */

/** CI is set to anything but '', '0' or 'false' (any case). */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return !!v && v !== '0' && v !== 'false';
}

/** The error a missing need raises under CI. */
export function missingInCI(why: string): Error {
  return new Error(`${why}, and CI is set: CI runs every test and never skips`);
}

/**
 * In a test or hook: returns when nothing is missing; otherwise skips the test with the reason,
 * or under CI fails it. `missing` names what is absent.
 */
export function need(ctx: Mocha.Context, missing: (string | false | undefined)[]): void {
  const absent = missing.filter((m): m is string => typeof m === 'string' && m.length > 0);
  if (absent.length === 0) return;
  const why = `needs ${absent.join(' and ')}`;
  if (isCI()) throw missingInCI(why);
  console.log(`      skipped: ${why}`);
  ctx.skip();
}

/**
 * While declaring a suite: true when nothing is missing. Otherwise, outside CI, declares one pending
 * test that says what is missing and returns false (the caller declares nothing else); under CI it
 * throws, so the run stops at once with the reason.
 */
export function suiteNeeds(title: string, missing: (string | false | undefined)[]): boolean {
  const absent = missing.filter((m): m is string => typeof m === 'string' && m.length > 0);
  if (absent.length === 0) return true;
  const why = `${title} needs ${absent.join(' and ')}`;
  if (isCI()) throw missingInCI(why);
  it(`${why} (not set: skipped)`);
  return false;
}
