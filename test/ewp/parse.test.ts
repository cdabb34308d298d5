import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { attainmentsFromTor } from '../../src/ewp/client/parse-tor.ts';
import { iiaFromXml } from '../../src/ewp/client/parse-iia.ts';
import { mobilityFromXml } from '../../src/ewp/client/parse-mobility.ts';
import { Catalogue } from '../../src/ewp/registry/catalogue.ts';
import { NS } from '../../src/ewp/xml/ns.ts';
import { children, parseXml, type XElem } from '../../src/ewp/xml/parse.ts';
import { schemas } from '../helpers/hub.ts';
import { requireSpecs } from './helpers/xsd.ts';

function walk(d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Validates a canonical record (with the fields the hub adds) against its schema. */
function canonicalViolations(entity: string, record: Record<string, unknown>): string[] {
  return schemas.validate(entity, { institution: 'lu.lv', ...record }).map((v) => `${v.path}: ${v.message}`);
}

describe('EWP client: reading partners’ XML', () => {
  it('parses every official example document in the specs folder', function () {
    const dir = requireSpecs(this);
    const files = walk(dir).filter((f) => f.endsWith('.xml') && !f.endsWith('catalog.xml'));
    let documents = 0;
    let fragments = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      try {
        parseXml(text);
        documents++;
      } catch (e) {
        // The scenario fragments (*.part.xml, dashboard Ex*.xml) are not documents: some have
        // several top-level elements and no namespaces. They must parse inside a wrapper.
        assert.ok(/\.part\.xml$|\/Ex\d+\.xml$/.test(f), `${relative(dir, f)}: ${(e as Error).message}`);
        parseXml(`<fragment>${text.replace(/<\?xml[^>]*\?>/, '')}</fragment>`);
        fragments++;
      }
    }
    assert.ok(documents >= 29, `${documents} documents`);
    assert.equal(documents + fragments, files.length);
  });

  it('reads the registry catalogue example: keys, covered HEIs and API entries', function () {
    const dir = requireSpecs(this);
    const c = new Catalogue(parseXml(readFileSync(join(dir, 'ewp-specs-api-registry/catalogue-example.xml'), 'utf8')));
    assert.ok(c.hosts.length >= 2);
    const withKey = c.hosts.find((h) => h.clientKeys.length > 0)!;
    assert.ok(withKey);
    assert.deepEqual(c.heisCoveredByClientKey(withKey.clientKeys[0]!).sort(), [...withKey.heis].sort());
    assert.ok(c.keyBySha(withKey.clientKeys[0]!), 'the key is in <binaries>');
    assert.equal(c.heisCoveredByClientKey('0'.repeat(64)).length, 0);
  });

  it('maps the IIAs 7 example to canonical IIA copies that pass the canonical schema', function () {
    const dir = requireSpecs(this);
    const doc = parseXml(readFileSync(join(dir, 'ewp-specs-api-iias/endpoints/get-response-example.xml'), 'utf8'));
    const copies = children(doc, 'iia').map(iiaFromXml);
    assert.equal(copies.length, 1);
    const c = copies[0]!;
    assert.equal(c.iiaId, '0f7a5682-faf7-49a7-9cc7-ec486c49a281');
    assert.equal(c.startYear, 2014);
    assert.equal(c.endYear, 2021);
    assert.deepEqual(canonicalViolations('inter-institutional-agreement', { ...c, sourceId: 'iia/uw.edu.pl/x' }), []);
    const conditions = c.cooperationConditions as { type: string }[];
    assert.deepEqual([...new Set(conditions.map((x) => x.type))], ['student-studies', 'student-traineeship', 'staff-teaching', 'staff-training']);
  });

  it('maps the Outgoing Mobility LAs example to person, mobility and LA versions', function () {
    const dir = requireSpecs(this);
    const doc = parseXml(readFileSync(join(dir, 'ewp-specs-api-omobility-las/examples/get-response-example.xml'), 'utf8'));
    const la = children(doc, 'la', NS.lasGet)[0]!;
    const nomDoc = parseXml(readFileSync(join(dir, 'ewp-registry-service/src/test/resources/test-files/latest-examples/ewp-specs-api-omobilities-endpoints-get-response-example.xml'), 'utf8'));
    const nomination: XElem | undefined = children(nomDoc, 'student-mobility', NS.omobilitiesGet)[0];
    const copy = mobilityFromXml(la, nomination)!;
    assert.ok(copy.las.length >= 1);
    assert.deepEqual(canonicalViolations('mobility-period', copy.mobility), []);
    for (const l of copy.las) assert.deepEqual(canonicalViolations('learning-agreement', l), [], String(l.sourceId));
    assert.ok(copy.person, 'the student has a global id');
    assert.match(String(copy.person.sourceId), /^person\/[^/]+\/[0-9a-f]{32}$/, 'no identifier in clear in the source id');
  });

  it('maps a ToR (ELMO inside Incoming Mobility ToRs) to recognised attainments; results without date or credits are not completed by guesswork', function () {
    const dir = requireSpecs(this);
    const refs = { partner: 'uw.edu.pl', omobilityId: 'x', person: { id: '3f0c8d4e-2b1a-4c9e-9a51-7d2f0e6b1c11' }, mobility: { id: '3f0c8d4e-2b1a-4c9e-9a51-7d2f0e6b1c12' } };
    const tors = parseXml(readFileSync(join(dir, 'ewp-specs-api-imobility-tors/endpoints/get-response-example.xml'), 'utf8'));
    const fromExample = attainmentsFromTor(children(tors, 'tor')[0]!, refs);
    assert.equal(fromExample.length, 1);
    assert.equal((fromExample[0]!.recognised as { originalTitle: string }).originalTitle, 'The importance of <br> in HTML', 'entities and CDATA decoded');
    assert.deepEqual(fromExample[0]!.grade, { value: 'C', scheme: 'UNKNOWN' });
    assert.equal(fromExample[0]!.date, undefined, 'the example has no date: the pipeline will keep it as a rejected message, not invent one');
    // The ELMO example has complete results: they pass the canonical schema.
    const elmo = readFileSync(join(dir, 'elmo-schemas/example.xml'), 'utf8').replace(/<\?xml[^>]*\?>/, '');
    const out = attainmentsFromTor(parseXml(`<tor xmlns="urn:t">${elmo}</tor>`), refs);
    const complete = out.filter((a) => a.grade && a.credits && a.date);
    assert.ok(complete.length >= 1, JSON.stringify(out.map((a) => Object.keys(a))));
    for (const a of complete) assert.deepEqual(canonicalViolations('attainment', a), [], String(a.sourceId));
  });
});
