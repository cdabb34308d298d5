import type jsonata from 'jsonata';
import { builtinsLoaded, isRejection, loadBuiltins, type Translation } from './index.ts';

type Expression = ReturnType<typeof jsonata>;

/** JSONata's error for an evaluation past its time limit (what evaluationError() reads). */
const timeout = (ms: number) => ({ code: 'D1012', value: ms, message: 'Expression evaluation timeout: Check for infinite loop' });

/**
 * A mapping as the engine runs it: the compiled function when the translation covers the mapping,
 * else JSONata's interpreter. A compiled evaluation that meets a case it leaves to the interpreter
 * (NeedsInterpreter, or any error that is not the record's rejection: JSONata words its own type
 * errors) is evaluated again by the interpreter, whose outcome counts.
 */
export class MappingExpression {
  constructor(
    /** JSONata's own compiled expression (the interpreter). */
    readonly interpreter: Expression,
    readonly translation: Translation,
    private readonly timeoutMs: number,
  ) {}

  /** True when evaluate() runs the compiled function. */
  get compiled(): boolean {
    return this.translation.run !== undefined;
  }

  async evaluate(input: unknown, bindings: Readonly<Record<string, unknown>> = {}): Promise<unknown> {
    const run = this.translation.run;
    if (!run) return this.interpreter.evaluate(input, bindings as Record<string, unknown>);
    if (!builtinsLoaded()) await loadBuiltins();
    const started = Date.now();
    let out: unknown;
    try {
      out = run(input, bindings);
    } catch (e) {
      if (isRejection(e)) throw e;
      return this.interpreter.evaluate(input, bindings as Record<string, unknown>);
    }
    if (this.timeoutMs > 0 && Date.now() - started > this.timeoutMs) throw timeout(this.timeoutMs);
    return out;
  }
}
