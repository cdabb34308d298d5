import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** bin/bundle.mjs: the build's bundle of the compiled hub (what bin/hub.mjs runs when it is there). */
interface BundleModule {
  bundle(out: string): Promise<void>;
  namesItsFolder(code: string): boolean;
  EXTERNAL: string[];
}
const root = fileURLToPath(new URL('..', import.meta.url));
const load = () => import(pathToFileURL(join(root, 'bin', 'bundle.mjs')).href) as Promise<BundleModule>;

describe('the build bundle (bin/bundle.mjs)', function () {
  this.timeout(60_000);
  let out: string;
  // Inside the project, as the build's folder is: the bundle resolves libraries from node_modules.
  beforeEach(() => {
    out = join(root, 'dist', `bundle-test-${process.pid}-${Date.now()}`);
    mkdirSync(join(out, 'src', 'cli', 'static'), { recursive: true });
    writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  const write = (main: string) => writeFileSync(join(out, 'src', 'cli', 'main.js'), main);

  it("keeps each module's import.meta.url, loads lazily imported libraries from node_modules, and bundles the rest", async () => {
    const { bundle } = await load();
    writeFileSync(join(out, 'src', 'cli', 'static', 'page.txt'), 'beside main.js');
    write(`import { readFileSync } from 'node:fs';
import { Command } from 'commander';
export const page = readFileSync(new URL('./static/page.txt', import.meta.url), 'utf8');
export const url = import.meta.url;
export const program = new Command('x').name();
export const soap = () => import('soap').then((m) => typeof m.createClientAsync);
`);
    await bundle(out);
    const m = (await import(pathToFileURL(join(out, 'bundle', 'main.js')).href)) as { page: string; url: string; program: string; soap: () => Promise<string> };
    assert.equal(m.page, 'beside main.js');
    assert.equal(m.url, pathToFileURL(join(out, 'src', 'cli', 'main.js')).href);
    assert.equal(m.program, 'x');
    const text = readFileSync(join(out, 'bundle', 'main.js'), 'utf8');
    assert.doesNotMatch(text, /from ["']commander["']/, 'commander is in the bundle');
    assert.match(text, /import\(["']soap["']\)/, 'soap is left to node');
    // A source map beside it, for `node --enable-source-maps` (through tsc's maps, to the TypeScript).
    const map = JSON.parse(readFileSync(join(out, 'bundle', 'main.js.map'), 'utf8')) as { sources: string[] };
    assert.ok(map.sources.includes('../src/cli/main.js'), map.sources.join(', '));
    assert.match(text, /\/\/# sourceMappingURL=main\.js\.map\s*$/);
    // A CommonJS library imported lazily keeps its named exports (node loads it, as from the sources).
    assert.equal(await m.soap(), 'function');
  });

  it('fails, naming the library, when a bundled library reads files beside itself (__dirname)', async () => {
    const { bundle, EXTERNAL } = await load();
    assert.ok(!EXTERNAL.includes('xmllint-wasm'));
    write(`import { validateXML } from 'xmllint-wasm';\nexport const v = validateXML;\n`);
    await assert.rejects(bundle(out), /name their own folder \(__dirname\/__filename\): xmllint-wasm; add them to EXTERNAL/);
  });

  it('tells a use of __dirname from the word in a comment or a string', async () => {
    const { namesItsFolder } = await load();
    assert.equal(namesItsFolder("const f = require('path').join(__dirname, 'data.afm');"), true);
    assert.equal(namesItsFolder('module.exports = __filename;'), true);
    assert.equal(namesItsFolder("// program.executableDir(__dirname)\n/* __filename */ const s = '__dirname';"), false);
    assert.equal(namesItsFolder('const u = "http://x/__dirname"; // a URL'), false);
  });
});
