import { demoConfig } from '../config/demo.ts';

/** Where the starter config's webhook sink sends (a receiver of your own; the demo starts one for itself). */
export const STARTER_WEBHOOK_URL = 'http://127.0.0.1:8090/webhook';

/** The demo's configuration without its simulators: what `hub config init` writes. */
export function starterConfig(): unknown {
  return demoConfig(STARTER_WEBHOOK_URL);
}

/** Comments written before the value at a JSON pointer. */
const COMMENTS: Record<string, string[]> = {
  '': [
    'Study-data hub configuration, written by `hub config init` (the demo\u2019s, without its simulators).',
    'JSON with comments (JSONC). Check it with `hub config check hub.json`; see the effective one with `hub config show hub.json`.',
    'Schema of every key: schemas/config.schema.json. Secrets are never in this file: sinks name the environment variable that holds them.',
    'Relative paths: a file sink\u2019s `path`, a csv source\u2019s folders and ewp.keysDir resolve under the data dir (HUB_DATA_DIR, default ./data),',
    'so `out/archive.jsonl` is written to ./data/out/archive.jsonl; a viis sink\u2019s `wsdl` resolves against the working directory.',
  ],
  '/institutions': ['Institutions by SCHAC code; sources, routes and consumers refer to them.'],
  '/sources': [
    'Where records come from. Without an `adapter`, a source is push-only: POST /api/v1/ingest/<source>/<entity> with a token of scope ingest:<source>.',
    'With one (lais, isis, csv) the hub reads the system itself (docs/sources.md). mappingSet: a folder under mappings/.',
  ],
  '/sources/0': ['lu.lv sends LAIS records (mapping set lais). To poll a LAIS instead, add: "adapter": { "type": "lais", "options": { "baseUrl": "http://127.0.0.1:8091" } }'],
  '/sources/1': ['rtu.lv pushes canonical records (the README\u2019s first curl line sends one here).'],
  '/sources/2': ['A legacy system\u2019s nightly CSV export, imported by the example Node-RED flow flows/scheduled-import.json.'],
  '/sources/3': ['Through this source the hub writes the notices of the digital diplomas it issues for lu.lv (canonical credential records), for routes and feeds.'],
  '/sinks': ['Where records go. Types: hub sinks are listed in adapters/index.ts; each has its own options schema.'],
  '/sinks/0/options/path': ['Relative to the data dir: ./data/out/archive.jsonl with the default HUB_DATA_DIR.'],
  '/sinks/1/options/url': ['A receiver of your own (`hub demo` starts one for itself); deliveries are signed with HMAC-SHA256.'],
  '/sinks/1/options/secretEnv': ['The environment variable with the HMAC secret: set it before `hub start` (e.g. HUB_DEMO_WEBHOOK_SECRET=$(openssl rand -hex 24)).'],
  '/sinks/2': ['Digital diplomas: the hub issues, seals and stores European Digital Credentials from awards (docs/credentials.md). Seal keys: `hub credentials keys --institution lu.lv`.'],
  '/routes': ['Which changes go to which sink, with the legal basis and purpose of the disclosure (docs/privacy.md) and the retry policy.'],
  '/credentials': ['Digital credentials: the sources of their notices; set publicUrl (https) to the address the status lists are published under.'],
  '/consumers': ['Who reads the feeds and webhook subscriptions: a token with the scope feed:<consumer> reads as the consumer (docs/feeds.md).'],
};

/** The starter config as JSONC text: the same value as starterConfig(), with comments. */
export function starterConfigText(): string {
  return `${write(starterConfig(), '', 0)}\n`;
}

function write(value: unknown, pointer: string, depth: number): string {
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  const comment = (p: string) => (COMMENTS[p] ?? []).map((c) => `${pad}// ${c}\n`).join('');
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((x) => typeof x !== 'object' || x === null)) return JSON.stringify(value).replace(/,/g, ', ');
    return `[\n${value.map((x, i) => `${comment(`${pointer}/${i}`)}${pad}${write(x, `${pointer}/${i}`, depth + 1)}`).join(',\n')}\n${close}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const head = depth === 0 ? (COMMENTS[''] ?? []).map((c) => `// ${c}\n`).join('') : '';
    return `${head}{\n${entries.map(([k, v]) => `${comment(`${pointer}/${k}`)}${pad}${JSON.stringify(k)}: ${write(v, `${pointer}/${k}`, depth + 1)}`).join(',\n')}\n${close}}`;
  }
  return JSON.stringify(value);
}
