// The second step of `npm run build`: the compiled hub (tsc's output in <out>/src and <out>/adapters) bundled by
// esbuild into <out>/bundle, one file per lazily loaded command or feature (code splitting keeps the dynamic
// imports lazy), with the libraries the hub uses inlined. A hub process then loads a few dozen files instead of
// ~1,000 (its own ~300 modules and the libraries' ~700): a bare `hub start` ~0.85 → ~0.45 s of CPU.
//
// What the bundle keeps right:
// - `import.meta.url` in the hub's own files is rewritten to the URL of the compiled file it came from, so what
//   a module reads beside itself (schemas, mappings, pages, WSDLs, package.json) is found where the build copied it.
// - Libraries that read files beside themselves or load native code stay outside (EXTERNAL), loaded from
//   node_modules as before; a bundled library that names `__dirname` or `__filename` (it would read a file
//   relative to the bundle) fails the build with its name, to be added to EXTERNAL.
// - `require` exists in the bundle's ESM files (the libraries written as CommonJS call it for node's modules).
// - A library the hub imports lazily (`import('soap')`) stays outside: node loads it at that point, as it does
//   from the sources, with the same named exports.
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Libraries loaded from node_modules, not bundled: native code, files read beside themselves, or loaded by path. */
export const EXTERNAL = [
  'better-sqlite3', // native addon
  'node-red', // loads its nodes, editor and settings from its own folders
  'pino', // its transports run in worker threads by file name
  'swagger-ui-dist', // serves its own folder
  'pdfkit', // reads its font metrics (data/*.afm) beside itself
  'oidc-provider', // the demo's identity provider: a large framework, loaded by the demo only
];

/** `__dirname` or `__filename` used as a name in a library's code (comments and strings aside). */
export function namesItsFolder(code) {
  const bare = code
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:\\'"`])\/\/.*$/gm, '$1')
    .replace(/(['"`])(?:\\.|(?!\1)[^\\\n])*\1/g, '""');
  return /\b__(dirname|filename)\b/.test(bare);
}

/** The package a file in node_modules belongs to (`@scope/name` or `name`). */
const packageOf = (path) => {
  const parts = path.split(sep);
  const i = parts.lastIndexOf('node_modules');
  return parts[i + 1]?.startsWith('@') ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1];
};

export async function bundle(out) {
  const { build } = await import('esbuild');
  const dir = join(out, 'bundle');
  // The hub's own compiled files (not the libraries).
  const code = new RegExp(`^(${literal(join(out, 'src') + sep)}|${literal(join(out, 'adapters') + sep)})`);
  const folderNaming = new Set();
  await build({
    entryPoints: [join(out, 'src', 'cli', 'main.js')],
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // ESM builds where a package has one (jsonc-parser's CommonJS build requires its files by computed names).
    mainFields: ['module', 'main'],
    external: EXTERNAL,
    banner: { js: "import { createRequire as __hubRequire } from 'node:module'; const require = __hubRequire(import.meta.url);" },
    // Maps back to the TypeScript (through tsc's maps beside the compiled files): `node --enable-source-maps`
    // names the sources' files and lines in a stack trace; without the flag they cost nothing at run time.
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'error',
    plugins: [
      {
        name: 'hub-files',
        setup(b) {
          // A library the hub imports lazily (`await import('soap')`) is loaded by node when it is needed, as from the
          // sources: bundled, a CommonJS library's lazy chunk would export only `default`, not its named exports.
          b.onResolve({ filter: /^[^./]/ }, (a) => (a.kind === 'dynamic-import' && code.test(a.importer) ? { path: a.path, external: true } : undefined));
          b.onLoad({ filter: /\.[cm]?js$/ }, async (a) => {
            const text = await readFile(a.path, 'utf8');
            if (code.test(a.path)) {
              const from = relative(dir, a.path).split(sep).join('/');
              return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(from)}, import.meta.url).href`), loader: 'js' };
            }
            if (a.path.includes(`${sep}node_modules${sep}`) && namesItsFolder(text)) folderNaming.add(packageOf(a.path));
            return undefined;
          });
        },
      },
    ],
  });
  if (folderNaming.size) throw new Error(`bundled libraries name their own folder (__dirname/__filename): ${[...folderNaming].sort().join(', ')}; add them to EXTERNAL in bin/bundle.mjs`);
}

/** A string as a literal part of a regular expression. */
const literal = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
