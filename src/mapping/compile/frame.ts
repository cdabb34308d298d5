import { isJsonataBuiltin, NeedsInterpreter } from './builtins.ts';

/**
 * Variables of a compiled evaluation, as JSONata's environment: a block or a lambda call opens a
 * frame; a name is looked up through the enclosing frames, then the evaluation's bindings and `$$`.
 */
export class Frame {
  private readonly vars = new Map<string, unknown>();
  constructor(
    private readonly parent: Frame | undefined,
    private readonly root: Root,
  ) {}

  child(): Frame {
    return new Frame(this, this.root);
  }

  bind(name: string, value: unknown): void {
    this.vars.set(name, value);
  }

  /** Where the name is bound: a frame's value, a binding, or `undefined` (a built-in: `builtin`). */
  lookup(name: string): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let f: Frame | undefined = this;
    while (f) {
      if (f.vars.has(name)) return f.vars.get(name);
      f = f.parent;
    }
    return this.root.lookup(name);
  }

  /** The value of a name used as a value (a built-in function as a value is left to the interpreter). */
  value(name: string): unknown {
    const v = this.lookup(name);
    if (v === BUILTIN) throw new NeedsInterpreter(`built-in $${name} used as a value`);
    return v;
  }
}

/** Marks a name that is JSONata's built-in function (not shadowed by a binding). */
export const BUILTIN: unique symbol = Symbol('builtin');

export class Root {
  constructor(
    readonly bindings: Readonly<Record<string, unknown>>,
    readonly input: unknown,
  ) {}

  lookup(name: string): unknown {
    if (name === '$') return this.input;
    if (Object.prototype.hasOwnProperty.call(this.bindings, name) && Object.prototype.propertyIsEnumerable.call(this.bindings, name)) return this.bindings[name];
    return isJsonataBuiltin(name) ? BUILTIN : undefined;
  }
}
