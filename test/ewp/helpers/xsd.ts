import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';
import { isCI } from '../../helpers/ci.ts';

/**
 * XSD validation of EWP documents with libxml2 against the official schemas in EWP_SPECS_DIR
 * (default ../shared/ewp from the repository root), nothing fetched (`--nonet`, catalog.xml).
 * With Debian's `xmllint` on the PATH (libxml2-utils, which .ci/run installs) each document is a
 * 40 ms process; without it, xmllint-wasm (so `npm test` needs nothing outside npm), where every
 * call starts a worker and compiles libxml2's WebAssembly again (~0.5 s of CPU). Both run libxml2;
 * XML_VALIDATOR=wasm or =native picks one.
 */
const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const DEFAULT_DIR = resolve(REPO, '../shared/ewp');

/** Under CI (test/helpers/ci.ts) the XSDs must be there; a test that would skip fails instead. */
export const IN_CI = isCI();

export const SPECS_DIR: string | undefined = process.env.EWP_SPECS_DIR ? resolve(REPO, process.env.EWP_SPECS_DIR) : existsSync(DEFAULT_DIR) ? DEFAULT_DIR : undefined;

/** Skips the test (plainly saying why) when the official XSDs are not there; in CI that is a failure. */
export function requireSpecs(ctx: Mocha.Context): string {
  if (SPECS_DIR && existsSync(join(SPECS_DIR, 'catalog.xml'))) return SPECS_DIR;
  const why = `the official EWP XSDs are not available (set EWP_SPECS_DIR; looked in ${process.env.EWP_SPECS_DIR ?? DEFAULT_DIR})`;
  if (IN_CI) throw new Error(`${why}; CI must validate against them`);
  console.log(`      skipped: ${why}`);
  ctx.skip();
}

const LOCAL = '/ewp/';
let preload: XMLFileInfo[] | undefined;

function walk(d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function files(dir: string): XMLFileInfo[] {
  if (preload) return preload;
  const catalog = readFileSync(join(dir, 'catalog.xml'), 'utf8');
  const rules = [...catalog.matchAll(/<rewriteSystem systemIdStartString="([^"]+)" rewritePrefix="([^"]+)"/g)].map((m) => [m[1]!, m[2]!] as const);
  const exact = [...catalog.matchAll(/<system systemId="([^"]+)" uri="([^"]+)"/g)].map((m) => [m[1]!, m[2]!] as const);
  const out: XMLFileInfo[] = [];
  for (const f of walk(dir).filter((x) => x.endsWith('.xsd'))) {
    const rel = relative(dir, f);
    const contents = readFileSync(f, 'utf8');
    out.push({ fileName: LOCAL + rel, contents });
    for (const [url, prefix] of rules) if (rel.startsWith(prefix)) out.push({ fileName: url + rel.slice(prefix.length), contents });
    for (const [url, target] of exact) if (rel === target) out.push({ fileName: url, contents });
  }
  // ELMO 2.1.1 (ToRs 3) imports ../ewp-specs-types-address-v1.0.1/schema.xsd, which the registry
  // service resolves by namespace and does not ship (README "Known issues"): supply the address
  // schema of the same release at that path.
  const address = readFileSync(join(dir, 'ewp-specs-types-address/schema.xsd'), 'utf8');
  out.push({ fileName: `${LOCAL}ewp-registry-service/src/main/resources/schemas/ewp-specs-types-address-v1.0.1/schema.xsd`, contents: address });
  out.push({ fileName: 'https://raw.githubusercontent.com/emrex-eu/elmo-schemas/ewp-specs-types-address-v1.0.1/schema.xsd', contents: address });
  preload = out;
  return out;
}

export interface XsdResult {
  valid: boolean;
  errors: string[];
}

const NATIVE = (() => {
  const pick = process.env.XML_VALIDATOR ?? '';
  if (pick === 'wasm') return false;
  const found = spawnSync('xmllint', ['--version'], { encoding: 'utf8' }).status === 0;
  if (pick === 'native' && !found) throw new Error('XML_VALIDATOR=native, but there is no xmllint on the PATH (apt-get install -y libxml2-utils)');
  return found;
})();

/** Which libxml2 validates here: Debian's xmllint, or xmllint-wasm. */
export const VALIDATOR: 'native' | 'wasm' = NATIVE ? 'native' : 'wasm';

/** ELMO 2.1.1 (ToRs 3) imports an address schema the registry copies do not ship: import that namespace first and libxml2 skips the dangling import. */
const ADDRESS_FIRST: [string, string] = ['https://github.com/erasmus-without-paper/ewp-specs-types-address/tree/stable-v1', 'ewp-specs-types-address/schema.xsd'];

/** One xmllint process: the document on stdin, the schema a file (a wrapper's imports are absolute paths into the specs folder). */
async function nativeValidate(dir: string, schema: { file: string } | { imports: [string, string][] }, xml: string): Promise<XsdResult> {
  let tmp: string | undefined;
  let file: string;
  if ('file' in schema) file = schema.file;
  else {
    tmp = mkdtempSync(join(tmpdir(), 'hub-xsd-'));
    file = join(tmp, 'wrapper.xsd');
    writeFileSync(
      file,
      `<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:hub:wrapper">${schema.imports
        .map(([ns, xsd]) => `<xs:import namespace="${ns}" schemaLocation="${join(dir, xsd)}"/>`)
        .join('')}</xs:schema>`,
    );
  }
  try {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((done, fail) => {
      const child = execFile(
        'xmllint',
        ['--nonet', '--noout', '--schema', file, '-'],
        { env: { ...process.env, XML_CATALOG_FILES: join(dir, 'catalog.xml') }, maxBuffer: 16 << 20 },
        (err, _out, stderr) => {
          const c = err ? (err as { code?: unknown }).code : 0;
          if (typeof c !== 'number') fail(err);
          else done({ code: c, stderr });
        },
      );
      child.stdin!.end(xml);
    });
    // As xmllint-wasm reads it: 0 valid, 3 not valid, 4 the schema did not compile (not valid); anything else (the XML did not parse) is no verdict.
    if (code !== 0 && code !== 3 && code !== 4) throw new Error(`xmllint exited with ${code}:\n${stderr}`);
    const errors = stderr.split('\n').filter((l) => l && !/^- (validates|fails to validate)$/.test(l) && !/parser warning/.test(l));
    return { valid: code === 0, errors };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Validates a document against one XSD of the specs folder (path relative to it). */
export async function validateAgainst(dir: string, xsd: string, xml: string): Promise<XsdResult> {
  if (NATIVE) {
    const text = readFileSync(join(dir, xsd), 'utf8');
    if (!text.includes('elmo-schemas-v2.1.1') && !xsd.includes('imobility-tors-v3')) return nativeValidate(dir, { file: join(dir, xsd) }, xml);
    const ns = /targetNamespace="([^"]+)"/.exec(text)?.[1];
    if (!ns) throw new Error(`${xsd} has no targetNamespace`);
    return nativeValidate(dir, { imports: [ADDRESS_FIRST, [ns, xsd]] }, xml);
  }
  const pre = files(dir);
  const main = pre.find((f) => f.fileName === LOCAL + xsd);
  if (!main) throw new Error(`no XSD ${xsd} in ${dir}`);
  const r = await validateXML({ xml: [{ fileName: 'document.xml', contents: xml }], schema: [main], preload: pre.filter((f) => f !== main), disableFileNameValidation: true, maxMemoryPages: 16384 });
  return { valid: r.valid, errors: r.errors.map((e) => e.message).filter((m) => !/parser warning/.test(m)) };
}

/** Validates against a wrapper schema importing several namespaces (a manifest with its API entries). */
export async function validateWithImports(dir: string, imports: [ns: string, xsd: string][], xml: string): Promise<XsdResult> {
  if (NATIVE) return nativeValidate(dir, { imports: [ADDRESS_FIRST, ...imports] }, xml);
  const pre = files(dir);
  const wrapper = `<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:hub:wrapper">${imports
    .map(([ns, xsd]) => `<xs:import namespace="${ns}" schemaLocation="${LOCAL}${xsd}"/>`)
    .join('')}</xs:schema>`;
  const r = await validateXML({
    xml: [{ fileName: 'document.xml', contents: xml }],
    schema: [{ fileName: `${LOCAL}wrapper.xsd`, contents: wrapper }],
    preload: pre,
    disableFileNameValidation: true,
    maxMemoryPages: 16384,
  });
  return { valid: r.valid, errors: r.errors.map((e) => e.message).filter((m) => !/parser warning/.test(m)) };
}

const REG = 'ewp-registry-service/src/main/resources/schemas';

/** The XSD of each document kind the hub emits (paths relative to the specs folder). */
export const XSD = {
  echo: 'ewp-specs-api-echo/response.xsd',
  institutions: 'ewp-specs-api-institutions/response.xsd',
  ounits: 'ewp-specs-api-ounits/response.xsd',
  courses: 'ewp-specs-api-courses/response.xsd',
  courseReplication: 'ewp-specs-api-course-replication/response.xsd',
  factsheet: 'ewp-specs-api-factsheet/response.xsd',
  iiasGet: 'ewp-specs-api-iias/endpoints/get-response.xsd',
  iiasIndex: 'ewp-specs-api-iias/endpoints/index-response.xsd',
  iiasStats: 'ewp-specs-api-iias/endpoints/stats-response.xsd',
  iiasApproval: 'ewp-specs-api-iias-approval/response.xsd',
  iiaCnr: 'ewp-specs-api-iia-cnr/response.xsd',
  iiaApprovalCnr: 'ewp-specs-api-iia-approval-cnr/response.xsd',
  omobilitiesGet: `${REG}/ewp-specs-api-omobilities-v3.0.0/endpoints/get-response.xsd`,
  omobilitiesIndex: `${REG}/ewp-specs-api-omobilities-v3.0.0/endpoints/index-response.xsd`,
  omobilitiesUpdateRequest: `${REG}/ewp-specs-api-omobilities-v3.0.0/endpoints/update-request.xsd`,
  omobilitiesUpdate: `${REG}/ewp-specs-api-omobilities-v3.0.0/endpoints/update-response.xsd`,
  omobilityCnr: `${REG}/ewp-specs-api-omobility-cnr-v2.0.0/response.xsd`,
  lasGet: 'ewp-specs-api-omobility-las/endpoints/get-response.xsd',
  lasIndex: 'ewp-specs-api-omobility-las/endpoints/index-response.xsd',
  lasStats: 'ewp-specs-api-omobility-las/endpoints/stats-response.xsd',
  omobilityStats: `${REG}/ewp-specs-api-omobility-stats-v1.0.0/response.xsd`,
  torStats: `${REG}/ewp-specs-api-imobility-tor-stats-v1.0.0/response.xsd`,
  lasUpdateRequest: 'ewp-specs-api-omobility-las/endpoints/update-request.xsd',
  lasUpdate: 'ewp-specs-api-omobility-las/endpoints/update-response.xsd',
  laCnr: 'ewp-specs-api-omobility-la-cnr/response.xsd',
  torsGet: `${REG}/ewp-specs-api-imobility-tors-v3.0.0/endpoints/get-response.xsd`,
  torsIndex: `${REG}/ewp-specs-api-imobility-tors-v3.0.0/endpoints/index-response.xsd`,
  torCnr: `${REG}/ewp-specs-api-imobility-tor-cnr-v2.0.0/response.xsd`,
  imobilitiesGet: `${REG}/ewp-specs-api-imobilities-v2.0.0/endpoints/get-response.xsd`,
  imobilityCnr: `${REG}/ewp-specs-api-imobility-cnr-v2.0.0/response.xsd`,
  error: 'ewp-specs-architecture/common-types.xsd',
} as const;

const GH = 'https://github.com/erasmus-without-paper';
/** The manifest with every API entry the hub declares (each in its own namespace; the EMREX contact point's listing too) and the security markers. */
export const MANIFEST_IMPORTS: [string, string][] = [
  [`${GH}/ewp-specs-api-discovery/tree/stable-v6`, 'ewp-specs-api-discovery/manifest.xsd'],
  ...(
    [
      ['ewp-specs-api-discovery/blob/stable-v6', 'ewp-specs-api-discovery'],
      ['ewp-specs-api-echo/blob/stable-v2', 'ewp-specs-api-echo'],
      ['ewp-specs-api-institutions/blob/stable-v2', 'ewp-specs-api-institutions'],
      ['ewp-specs-api-ounits/blob/stable-v2', 'ewp-specs-api-ounits'],
      ['ewp-specs-api-courses/blob/stable-v1', 'ewp-specs-api-courses'],
      ['ewp-specs-api-course-replication/blob/stable-v1', 'ewp-specs-api-course-replication'],
      ['ewp-specs-api-factsheet/blob/stable-v1', 'ewp-specs-api-factsheet'],
      ['ewp-specs-api-iias/blob/stable-v7', 'ewp-specs-api-iias'],
      ['ewp-specs-api-iias-approval/blob/stable-v2', 'ewp-specs-api-iias-approval'],
      ['ewp-specs-api-iia-cnr/blob/stable-v3', 'ewp-specs-api-iia-cnr'],
      ['ewp-specs-api-iia-approval-cnr/blob/stable-v2', 'ewp-specs-api-iia-approval-cnr'],
      ['ewp-specs-api-omobilities/blob/stable-v3', `${REG}/ewp-specs-api-omobilities-v3.0.0`],
      ['ewp-specs-api-omobility-cnr/blob/stable-v2', `${REG}/ewp-specs-api-omobility-cnr-v2.0.0`],
      ['ewp-specs-api-omobility-las/blob/stable-v1', 'ewp-specs-api-omobility-las'],
      ['ewp-specs-api-omobility-la-cnr/blob/stable-v1', 'ewp-specs-api-omobility-la-cnr'],
      ['ewp-specs-api-imobility-tors/blob/stable-v3', `${REG}/ewp-specs-api-imobility-tors-v3.0.0`],
      ['ewp-specs-api-imobility-tor-cnr/blob/stable-v2', `${REG}/ewp-specs-api-imobility-tor-cnr-v2.0.0`],
      ['ewp-specs-api-omobility-stats/blob/stable-v1', `${REG}/ewp-specs-api-omobility-stats-v1.0.0`],
      ['ewp-specs-api-imobility-tor-stats/blob/stable-v1', `${REG}/ewp-specs-api-imobility-tor-stats-v1.0.0`],
      ['ewp-specs-api-imobilities/blob/stable-v2', `${REG}/ewp-specs-api-imobilities-v2.0.0`],
      ['ewp-specs-api-imobility-cnr/blob/stable-v2', `${REG}/ewp-specs-api-imobility-cnr-v2.0.0`],
      ['ewp-specs-api-file/blob/stable-v1', 'ewp-specs-api-file'],
      ['ewp-specs-api-emrex-data-access-point/blob/stable-v1', 'ewp-specs-api-emrex-data-access-point'],
    ] as const
  ).map(([ns, dir]): [string, string] => [`${GH}/${ns}/manifest-entry.xsd`, `${dir}/manifest-entry.xsd`]),
  [`${GH}/ewp-specs-sec-cliauth-httpsig/tree/stable-v1`, 'ewp-specs-sec-cliauth-httpsig/security-entries.xsd'],
  [`${GH}/ewp-specs-sec-srvauth-tlscert/tree/stable-v1`, 'ewp-specs-sec-srvauth-tlscert/security-entries.xsd'],
  [`${GH}/ewp-specs-sec-srvauth-httpsig/tree/stable-v1`, 'ewp-specs-sec-srvauth-httpsig/security-entries.xsd'],
];

let announced = false;

/**
 * Asserts that a document is valid against its XSD. Without the specs folder it says so once
 * and returns (the functional assertions of the test still run); under CI it fails instead.
 */
export async function assertValid(xsd: string | [string, string][], xml: string): Promise<void> {
  if (!SPECS_DIR || !existsSync(join(SPECS_DIR, 'catalog.xml'))) {
    if (IN_CI) throw new Error(`the official EWP XSDs are not available (EWP_SPECS_DIR=${process.env.EWP_SPECS_DIR ?? 'unset'}; default ${DEFAULT_DIR}): CI must validate against them`);
    if (!announced) console.log(`      XSD validation skipped: the official EWP XSDs are not available (set EWP_SPECS_DIR; looked in ${process.env.EWP_SPECS_DIR ?? DEFAULT_DIR})`);
    announced = true;
    return;
  }
  const r = typeof xsd === 'string' ? await validateAgainst(SPECS_DIR, xsd, xml) : await validateWithImports(SPECS_DIR, xsd, xml);
  if (!r.valid) throw new Error(`not valid against ${typeof xsd === 'string' ? xsd : 'the manifest schemas'}:\n${r.errors.slice(0, 8).join('\n')}\n--- document ---\n${xml.slice(0, 3000)}`);
}
