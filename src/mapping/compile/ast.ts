/** The parts of JSONata's AST (`jsonata(text).ast()`, after its own post-processing) the compiler reads. */
export interface Node {
  type: string;
  value?: unknown;
  position?: number;
  steps?: Node[];
  stages?: { type: string; expr?: Node; value?: string }[];
  predicate?: { type: string; expr: Node }[];
  group?: unknown;
  expressions?: Node[];
  expression?: Node;
  lhs?: Node | [Node, Node][];
  rhs?: Node;
  condition?: Node;
  then?: Node;
  else?: Node;
  procedure?: Node;
  arguments?: Node[];
  body?: Node;
  signature?: unknown;
  thunk?: boolean;
  keepArray?: boolean;
  keepSingletonArray?: boolean;
  consarray?: boolean;
  tuple?: boolean;
  index?: string;
  focus?: string;
  ancestor?: unknown;
  seekingParent?: unknown;
}

/** A construct the compiler leaves to the interpreter (with the reason, shown by `compiled.fallback`). */
export class Untranslatable {
  constructor(
    readonly reason: string,
    readonly position?: number,
  ) {}
}

export function untranslatable(reason: string, node?: Node): never {
  throw new Untranslatable(reason, node?.position);
}
