/**
 * The boundaries of the code (docs/architecture.md, "Dependency rules"), checked by `npm run depcheck`
 * (part of `npm run lint`, so of `npm test`). Type-only imports count: they tie modules together too.
 *
 * Where things live:
 *   src/core/        the contracts (adapter.ts, errors.ts, types.ts, …): imports nothing of the hub
 *   src/cli/         the composition root: the only part of src/ that imports adapters, and with src/hub.ts the only one that knows the Hub
 *   adapters/<name>/ one folder per system; imports its own folder, src/core/ and adapters/_shared/
 *   adapters/_shared/ helpers several adapters use (the SOAP client base); imports src/core/ only
 *   adapters/_sim/   data and tables the simulators share (LAIS, ISIS)
 *   simulators       adapters/<name>/simulator*.ts and adapters/_sim/: may also import src/demo/ (the data generator)
 *   src/demo/        demo data, feeder and receiver: imports src/core/ only
 * Tests and benchmarks may import anything.
 */
const SIMULATOR = '^adapters/(_sim/|[^/]+/simulator[^/]*[.]ts$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only imports included: a module that needs a part of another takes it as a dependency (e.g. src/ewp/deps.ts).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-a-leaf',
      severity: 'error',
      comment: 'src/core/ holds the contracts adapters implement: it imports nothing else of the hub.',
      from: { path: '^src/core/' },
      to: { path: '^(src|adapters|bench|test|flows|bin)/', pathNot: '^src/core/' },
    },
    {
      name: 'src-imports-no-adapter',
      severity: 'error',
      comment: 'The core never imports an adapter; the composition root (src/cli/) hands adapters/index.ts to the hub.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^adapters/' },
    },
    {
      name: 'adapters-see-only-contracts',
      severity: 'error',
      comment: 'An adapter imports only the contracts in src/core/ of the hub (a sink compiles its mapping through AdapterContext.compileMapping).',
      from: { path: '^adapters/', pathNot: SIMULATOR },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'simulators-see-contracts-and-demo-data',
      severity: 'error',
      comment: 'A simulator imports the contracts and the demo data generator (src/demo/), nothing else of the hub.',
      from: { path: SIMULATOR },
      to: { path: '^src/', pathNot: '^src/(core|demo)/' },
    },
    {
      name: 'adapters-stay-in-their-folder',
      severity: 'error',
      comment: 'adapters/<name>/ imports its own folder and adapters/_shared/, not another adapter (adapters/index.ts lists them all).',
      from: { path: '^adapters/([^/]+)/', pathNot: SIMULATOR },
      to: { path: '^adapters/', pathNot: '^adapters/($1|_shared)/' },
    },
    {
      name: 'simulators-stay-in-their-folder',
      severity: 'error',
      comment: 'A simulator imports its own adapter folder, adapters/_shared/ and the shared simulator data in adapters/_sim/.',
      from: { path: '^adapters/([^/]+)/', pathNot: '^adapters/(?!_sim/)[^/]+/(?!simulator)[^/]+$' },
      to: { path: '^adapters/', pathNot: '^adapters/($1|_shared|_sim)/' },
    },
    {
      name: 'adapters-load-no-simulator',
      severity: 'error',
      comment: 'A simulator is a test and demo tool: the adapter code the hub loads does not import one.',
      from: { path: '^(adapters|src)/', pathNot: `${SIMULATOR}|^src/cli/` },
      to: { path: SIMULATOR },
    },
    {
      name: 'demo-sees-only-contracts',
      severity: 'error',
      comment: 'src/demo/ (generator, feeder, receiver) needs only the contracts (e.g. src/core/webhook-signature.ts).',
      from: { path: '^src/demo/' },
      to: { path: '^(src|adapters)/', pathNot: '^src/(core|demo)/' },
    },
    {
      name: 'config-imports-no-feature',
      severity: 'error',
      comment: 'src/config/ validates the config; features register their own checks (src/config/checks.ts) instead of being imported.',
      from: { path: '^src/config/' },
      to: { path: '^(src|adapters)/', pathNot: '^src/(config|core|schemas)/' },
    },
    {
      name: 'only-the-composition-root-knows-the-hub',
      severity: 'error',
      comment:
        'The Hub is built and handed out by the composition root (src/cli/). Everything else in src/ (the API, the admin console, Node-RED, sources, EWP, EMREX, the catalogue, credentials, webhooks, the store…) takes the few parts it uses as a narrow interface (src/api/deps.ts, src/admin/deps.ts, src/nodered/deps.ts, src/ewp/deps.ts…), never the Hub (docs/architecture.md).',
      from: { path: '^src/', pathNot: '^src/(cli/|hub[.]ts$)' },
      to: { path: '^src/hub[.]ts$' },
    },
    {
      name: 'broker-apart-from-store',
      severity: 'error',
      comment: 'The embedded broker shares SQLite helpers (src/sqlite/), not the store.',
      from: { path: '^src/broker/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'code-imports-no-tests',
      severity: 'error',
      comment: 'Tests and benchmarks import the code, not the other way round.',
      from: { path: '^(src|adapters)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
