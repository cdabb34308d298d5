import { isJsonataBuiltin } from './builtins.ts';

/**
 * Variables of a compiled evaluation, as JSONata's environment: a block or a lambda call opens a
 * frame; a name is looked up through the enclosing frames, then the evaluation's bindings and `$$`.
 */
export class Frame {
  private vars: Map<string, unknown> | undefined;
  constructor(
    private readonly parent: Frame | undefined,
    readonly root: Root,
  ) {}

  child(): Frame {
    return new Frame(this, this.root);
  }

  bind(name: string, value: unknown): void {
    (this.vars ??= new Map()).set(name, value);
  }

  /** Where the name is bound: a frame's value, a binding, or `undefined` (a built-in: `builtin`). */
  lookup(name: string): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let f: Frame | undefined = this;
    while (f) {
      if (f.vars?.has(name)) return f.vars.get(name);
      f = f.parent;
    }
    return this.root.lookup(name);
  }
}

/** Marks a name that is JSONata's built-in function (not shadowed by a binding). */
export const BUILTIN: unique symbol = Symbol('builtin');

export class Root {
  constructor(
    readonly bindings: Readonly<Record<string, unknown>>,
    readonly input: unknown,
  ) {}

  /**
   * A name no frame can hold (the mapping binds it nowhere), looked up in the bindings; remembered
   * per call site while the bindings are the same frozen object (MappingEngine's, per source).
   */
  static resolver(name: string): (root: Root) => unknown {
    let bindings: unknown;
    let value: unknown;
    return (root) => {
      if (root.bindings === bindings) return value;
      const v = root.lookup(name);
      if (Object.isFrozen(root.bindings)) {
        bindings = root.bindings;
        value = v;
      }
      return v;
    };
  }

  lookup(name: string): unknown {
    if (name === '$') return this.input;
    if (Object.prototype.propertyIsEnumerable.call(this.bindings, name)) return this.bindings[name];
    return isJsonataBuiltin(name) ? BUILTIN : undefined;
  }
}
