import type { Catalog } from './bridge.ts';
import { checkSpec } from './subscriptions.ts';

export interface FlowProblem {
  /** The node's id, type and name, for the reader to find it in the editor. */
  node: string;
  /** JSON pointer into the flow file. */
  path: string;
  message: string;
}

type FlowNode = Record<string, unknown>;

const s = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const words = (v: unknown) =>
  s(v)
    .split(/[\s,]+/)
    .filter(Boolean);

/** Strings that look like secrets a flow file must not hold (Node-RED keeps credentials in <flow>_cred.json). */
const SECRET_SHAPES: readonly [RegExp, string][] = [
  [/\bshub_[A-Za-z0-9_-]{20,}/, 'a hub API token'],
  [/^\s*(Bearer|Basic)\s+\S{8,}/i, 'an Authorization header value'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
];
const SECRET_KEYS = /^(password|passwd|secret|token|apikey|api_key|accesstoken|access_token|clientsecret|client_secret)$/i;

/** Every string of a node with its JSON pointer (below the node). */
function strings(v: unknown, path: string, out: [string, string][]): void {
  if (typeof v === 'string') out.push([path, v]);
  else if (Array.isArray(v)) v.forEach((x, i) => strings(x, `${path}/${i}`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) strings(x, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
}

/**
 * Checks a flow file against the hub it is meant for: every hub node refers to an existing source,
 * entity (schema) or mapping set, subscriptions are well formed and their queue names unique, and
 * the file holds no secrets. Returns every problem (empty: fine).
 */
export function checkFlow(flow: unknown, catalog: Catalog): FlowProblem[] {
  const problems: FlowProblem[] = [];
  if (!Array.isArray(flow)) return [{ node: '-', path: '', message: 'a flow file is a JSON array of nodes' }];
  const sources = new Map(catalog.sources.map((x) => [x.id, x]));
  const sets = new Map(catalog.mappingSets.map((x) => [x.name, x]));
  const entities = new Set(catalog.entities);
  const queues = new Map<string, string>();
  const ids = new Set<string>();

  (flow as FlowNode[]).forEach((n, i) => {
    const at = `/${i}`;
    if (!n || typeof n !== 'object' || Array.isArray(n)) {
      problems.push({ node: '-', path: at, message: 'not a node object' });
      return;
    }
    const type = s(n.type);
    const label = `${s(n.id) || '?'} (${type}${s(n.name) ? ` "${s(n.name)}"` : ''})`;
    const add = (prop: string, message: string) => problems.push({ node: label, path: prop ? `${at}/${prop}` : at, message });
    if (s(n.id)) {
      if (ids.has(s(n.id))) add('id', `duplicate node id ${s(n.id)}`);
      ids.add(s(n.id));
    }
    const entity = (prop: string) => {
      const e = s(n[prop]);
      if (!e) add(prop, 'no entity set');
      else if (!entities.has(e)) add(prop, `unknown entity '${e}' (known: ${[...entities].join(', ')})`);
      return e;
    };

    switch (type) {
      case 'hub ingest': {
        const src = s(n.source);
        const e = entity('entity');
        const source = sources.get(src);
        if (!src) add('source', 'no source set');
        else if (!source) add('source', `unknown source '${src}' (configured: ${[...sources.keys()].join(', ') || 'none'})`);
        else if (e && entities.has(e) && !source.entities.includes(e))
          add('entity', `source '${src}' cannot take '${e}': its mapping set '${source.mappingSet}' maps ${source.entities.join(', ') || 'nothing'}`);
        break;
      }
      case 'hub map': {
        const name = s(n.mappingSet);
        const set = sets.get(name);
        const e = s(n.entity);
        if (!name) add('mappingSet', 'no mapping set set');
        else if (!set) add('mappingSet', `unknown mapping set '${name}' (known: ${[...sets.keys()].join(', ')})`);
        if (!e) add('entity', 'no entity set');
        else if (set && !set.entities.includes(e)) add('entity', `mapping set '${name}' has no mapping for '${e}' (it maps ${set.entities.join(', ') || 'nothing'})`);
        if (s(n.source) && !sources.has(s(n.source))) add('source', `unknown source '${s(n.source)}'`);
        if (s(n.institution) && !catalog.institutions.includes(s(n.institution))) add('institution', `unknown institution '${s(n.institution)}'`);
        break;
      }
      case 'hub validate':
        entity('entity');
        break;
      case 'hub record':
        entity('entity');
        if (s(n.institution) && !catalog.institutions.includes(s(n.institution))) add('institution', `unknown institution '${s(n.institution)}'`);
        break;
      case 'hub subscribe': {
        const queue = s(n.queue);
        if (!queue) add('queue', 'no queue name: it names the durable queue of the subscription');
        else if (queues.has(queue)) add('queue', `queue name '${queue}' is also used by ${queues.get(queue)}: the two nodes would share (split) the events`);
        else queues.set(queue, label);
        if (s(n.feed) === 'dead') {
          for (const r of words(n.routes)) if (!catalog.routes.includes(r) && !r.startsWith('flow.')) add('routes', `unknown route '${r}' (configured: ${catalog.routes.join(', ')})`);
          break;
        }
        const patterns = words(n.patterns);
        try {
          checkSpec({
            name: queue || 'x',
            patterns,
            maxAttempts: n.attempts === undefined || n.attempts === '' ? 5 : Number(n.attempts),
            initialDelayMs: n.delay === undefined || n.delay === '' ? 1000 : Number(n.delay),
            concurrency: n.concurrency === undefined || n.concurrency === '' ? 1 : Number(n.concurrency),
            legalBasis: (s(n.legalBasis) || 'public-task') as never,
            purpose: s(n.purpose),
          });
        } catch (e) {
          for (const v of (e as { violations?: { path: string; message: string }[] }).violations ?? []) {
            const prop = { '/name': 'queue', '/initialDelayMs': 'delay', '/maxAttempts': 'attempts' }[v.path.replace(/\/\d+$/, '')] ?? v.path.slice(1).replace(/\/\d+$/, '');
            if (v.path !== '/name') add(prop, v.message);
          }
        }
        for (const p of patterns) {
          const [e, , ...inst] = p.split('.');
          if (e && e !== '*' && e !== '#' && !entities.has(e)) add('patterns', `pattern '${p}': unknown entity '${e}'`);
          const institution = inst.join('.');
          if (institution && institution !== '*' && institution !== '#' && !catalog.institutions.includes(institution)) add('patterns', `pattern '${p}': unknown institution '${institution}'`);
        }
        for (const f of words(n.fields)) if (!/^[A-Za-z][A-Za-z0-9]*$/.test(f)) add('fields', `'${f}' is not a record field name`);
        break;
      }
      default:
        if (type.startsWith('hub ')) add('type', `unknown hub node type '${type}' (hub ingest, hub subscribe, hub map, hub validate, hub record)`);
    }

    // Reviewable and safe to commit: no secrets in the flow file itself.
    if (n.credentials !== undefined) add('credentials', 'credentials in the flow file: Node-RED keeps them encrypted in <flow file>_cred.json');
    const found: [string, string][] = [];
    strings(n, '', found);
    for (const [p, v] of found) {
      const key = p.split('/').pop() ?? '';
      const shape = SECRET_SHAPES.find(([re]) => re.test(v));
      if (shape) add(p.slice(1), `looks like ${shape[1]}: put secrets in the node's credentials or in an environment variable (\${NAME})`);
      else if (SECRET_KEYS.test(key) && v && !/^\$\{[A-Z0-9_]+\}$/.test(v)) add(p.slice(1), `a '${key}' in the flow file: use the node's credentials or an environment variable (\${NAME})`);
    }
  });
  return problems;
}
