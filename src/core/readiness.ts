/**
 * What `/readyz` asks: each part of the process says whether it can serve now. A check resolves to
 * `undefined` when its part is ready, else to a short reason meant for anyone who can reach /readyz
 * (`starting`, `unreachable`, `stopping`): never an internal error text.
 */
export type ReadinessCheck = () => Promise<string | undefined> | string | undefined;

export interface ReadinessReport {
  ready: boolean;
  /** Part → `ok` or the reason it is not ready. */
  checks: Record<string, string>;
}

export interface PartState {
  /** `undefined`: ready; else why not (`starting`, `stopping`). */
  set(reason: string | undefined): void;
  reason(): string | undefined;
}

export class Readiness {
  private readonly parts = new Map<string, ReadinessCheck>();

  /** Adds (or replaces) a part of the process; parts are reported in the order they were first added. */
  set(part: string, check: ReadinessCheck): void {
    this.parts.set(part, check);
  }

  /** A part whose state is set from outside (a component that starts after the server listens). */
  state(part: string, initial: string | undefined): PartState {
    let why = initial;
    this.set(part, () => why);
    return {
      set: (reason) => {
        why = reason;
      },
      reason: () => why,
    };
  }

  /** Every part's state, asked one after the other (a store ping each time /readyz is asked). */
  async report(): Promise<ReadinessReport> {
    const checks: Record<string, string> = {};
    for (const [part, check] of this.parts) checks[part] = (await safely(check)) ?? 'ok';
    return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
  }
}

async function safely(check: ReadinessCheck): Promise<string | undefined> {
  try {
    return await check();
  } catch {
    return 'unreachable';
  }
}
