import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iiaElement } from '../../src/ewp/apis/iia-xml.ts';
import { iiaHashes } from '../../src/ewp/iia-hash.ts';
import { toXml, el } from '../../src/ewp/xml/build.ts';
import { childText, parseXml } from '../../src/ewp/xml/parse.ts';
import { LU, luIia } from './helpers/data.ts';
import { requireSpecs } from './helpers/xsd.ts';

/** The text-to-hash the spec's xsltKit README gives for get-response-v7.xml (and v6). */
const README_TEXT =
  '_iia-id_1=0f7a5682-faf7-49a7-9cc7-ec486c49a281__iia-id_2=1954991__cooperation-conditions.student-studies-mobility-spec.sending-hei-id=uw.edu.pl__cooperation-conditions.student-studies-mobility-spec.sending-ounit-id=140__cooperation-conditions.student-studies-mobility-spec.receiving-hei-id=hibo.no__student-studies-mobility-spec.subject-area.isced-f-code=031__student-studies-mobility-spec.subject-area.isced-clarification=Social and behavioural sciences__cooperation-conditions.student-studies-mobility-spec.total-months-per-year=5__cooperation-conditions.student-studies-mobility-spec.blended=false__cooperation-conditions.student-studies-mobility-spec.eqf-level=7__cooperation-conditions.student-studies-mobility-spec.eqf-level=8__receiving-first-academic-year-id=2014/2015__receiving-last-academic-year-id=2020/2021__cooperation-conditions.staff-teacher-mobility-spec.sending-hei-id=uw.edu.pl__cooperation-conditions.staff-teacher-mobility-spec.sending-ounit-id=140__cooperation-conditions.staff-teacher-mobility-spec.receiving-hei-id=hibo.no__cooperation-conditions.staff-teacher-mobility-spec.mobilities-per-year=2__staff-teacher-mobility-spec.recommended-language-skill.language=en__staff-teacher-mobility-spec.recommended-language-skill.cefr-level=C1__staff-teacher-mobility-spec.subject-area.isced-f-code=0314__cooperation-conditions.staff-teacher-mobility-spec.total-days-per-year=8__receiving-first-academic-year-id=2016/2017__receiving-last-academic-year-id=2017/2018_';

describe('EWP IIA v7 hash (transform_version_7.xsl)', () => {
  it('reproduces the text-to-hash and the iia-hash of the spec’s xsltKit example (v6-value, not-yet-defined, contacts left out)', function () {
    const dir = requireSpecs(this);
    const doc = parseXml(readFileSync(join(dir, 'ewp-specs-api-iias/resources/xsltKit/get-response-v7.xml'), 'utf8'));
    const [h] = iiaHashes(doc);
    assert.equal(h!.textToHash, README_TEXT);
    assert.equal(h!.hash, '87b33170d7a6c6d894215641f39e7b7de36501265479e5ab3922f32d5b225033');
    assert.equal(h!.hash, childText(doc.children.find((c) => typeof c !== 'string' && c.local === 'iia') as never, 'iia-hash'));
    assert.equal(h!.validForApproval, false, 'not-yet-defined and v6-value make it not valid for approval');
    assert.equal(h!.iiaId, '0f7a5682-faf7-49a7-9cc7-ec486c49a281');
  });

  it('reproduces the iia-hash of the IIAs get-response example', function () {
    const dir = requireSpecs(this);
    const text = readFileSync(join(dir, 'ewp-specs-api-iias/endpoints/get-response-example.xml'), 'utf8');
    const [h] = iiaHashes(parseXml(text));
    assert.equal(h!.hash, /<iia-hash>([0-9a-f]{64})<\/iia-hash>/.exec(text)![1]);
    assert.equal(h!.validForApproval, true);
  });

  it('follows the XSLT’s rules on attributes, entities, a missing iia-id and terminated-as-a-whole', () => {
    const ns = 'https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/endpoints/get-response.xsd';
    const doc = parseXml(
      `<r xmlns="${ns}"><iia><partner><hei-id>a.example</hei-id><iia-id>A&amp;1</iia-id></partner><partner><hei-id>b.example</hei-id></partner>` +
        `<cooperation-conditions terminated-as-a-whole="1"><staff-training-mobility-spec><sending-hei-id>a.example</sending-hei-id>` +
        `<sending-contact><c:contact-name xmlns:c="urn:c">X</c:contact-name></sending-contact><receiving-hei-id>b.example</receiving-hei-id>` +
        `<receiving-last-academic-year-id>2021/2022</receiving-last-academic-year-id><mobilities-per-year>3</mobilities-per-year>` +
        `<subject-area><isced-f-code v6-value="">0613</isced-f-code></subject-area><other-info-terms xml:lang="en"> t </other-info-terms></staff-training-mobility-spec></cooperation-conditions></iia></r>`,
    );
    const [h] = iiaHashes(doc);
    assert.equal(
      h!.textToHash,
      '_@terminated-as-a-whole@__iia-id_1=A&1__iia-id_2=__cooperation-conditions.staff-training-mobility-spec.sending-hei-id=a.example__cooperation-conditions.staff-training-mobility-spec.receiving-hei-id=b.example__cooperation-conditions.staff-training-mobility-spec.mobilities-per-year=3__staff-training-mobility-spec.subject-area.isced-f-code=0613__@cooperation-conditions.staff-training-mobility-spec.other-info-terms.lang=en@__cooperation-conditions.staff-training-mobility-spec.other-info-terms= t __receiving-first-academic-year-id=__receiving-last-academic-year-id=2021/2022_',
    );
    assert.equal(h!.validForApproval, true, 'an empty v6-value does not count');
  });

  it('hashes what the hub serves: the hash changes with the cooperation conditions, not with contacts', () => {
    const base = iiaElement(LU, luIia())!;
    const contactChanged = iiaElement(LU, luIia({ partners: luIia().partners.map((p) => ({ ...p, contact: { name: 'Someone Else' } })) }))!;
    assert.equal(contactChanged.hash, base.hash);
    const more = iiaElement(LU, luIia({ cooperationConditions: luIia().cooperationConditions.map((c) => ({ ...c, mobilitiesPerYear: 9 })) }))!;
    assert.notEqual(more.hash, base.hash);
    // The served element carries the hash the partner will compute over it.
    const doc = parseXml(
      toXml(
        el(
          'iias-get-response',
          { xmlns: 'https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/endpoints/get-response.xsd', 'xmlns:c': 'urn:c', 'xmlns:p': 'urn:p' },
          base.element,
        ),
      ),
    );
    assert.equal(iiaHashes(doc)[0]!.hash, base.hash);
    // A three-digit ISCED code is sent padded with its v6-value: served, but not valid for approval.
    const narrow = iiaElement(LU, luIia({ cooperationConditions: [{ ...luIia().cooperationConditions[0]!, subjectAreas: [{ iscedF: '061' }] }] }))!;
    assert.equal(narrow.validForApproval, false);
  });
});
