import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { laUpdateRequest } from '../../src/ewp/cnr/outbound.ts';
import { iiaHashes } from '../../src/ewp/iia-hash.ts';
import { generateEwpKey, type EwpKey } from '../../src/ewp/security/keys.ts';
import { toXml } from '../../src/ewp/xml/build.ts';
import { NS } from '../../src/ewp/xml/ns.ts';
import { child, childText, children, parseXml } from '../../src/ewp/xml/parse.ts';
import { INCOMING, LU, LU_IIA, OMOBILITY, PERSONAL_CODE, VU, VU_IIA, factsheet, laDraft, luRecords, seed, vuIia, vuIncoming } from './helpers/data.ts';
import { backends } from '../helpers/hub.ts';
import { ewpCall, ewpHub, rawRequest, TestRegistry, type EwpTestHub } from './helpers/ewp.ts';
import { assertValid, XSD } from './helpers/xsd.ts';

const PUBLIC = `https://ewp.hub.example/ewp/${LU}`;

for (const backend of backends()) {
  describe(`EWP APIs of a represented HEI (lu.lv), from the canonical store (${backend})`, function () {
    this.timeout(60_000);
    let registry: TestRegistry;
    let hub: EwpTestHub;
    let vuKey: EwpKey;
    let otherKey: EwpKey;
    /** The EWP Stats Portal's client key: the only caller the statistics endpoints answer. */
    let statsKey: EwpKey;
    const seen: string[] = [];

    const call = async (path: string, params: [string, string][] = [], o: { key?: EwpKey; method?: 'GET' | 'POST'; xml?: string } = {}) => {
      const res = await ewpCall({ url: `${PUBLIC}/${path}`, connect: hub.url, key: o.key ?? vuKey, params, ...(o.method ? { method: o.method } : {}), ...(o.xml !== undefined ? { xml: o.xml } : {}) });
      seen.push(res.body);
      return res;
    };

    before(async () => {
      registry = await new TestRegistry().start();
      const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'ewp-fs-'));
      const factsheetFile = join(dir, 'factsheet.json');
      writeFileSync(factsheetFile, JSON.stringify(factsheet));
      hub = await ewpHub({ hei: LU, name: 'Latvijas Universitāte', erasmus: 'LV RIGA01', registryUrl: registry.url, publicBase: PUBLIC, factsheetFile, backend });
      vuKey = generateEwpKey();
      otherKey = generateEwpKey();
      statsKey = generateEwpKey();
      const manifest = (await rawRequest(new URL(`${hub.url}/ewp/${LU}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body;
      registry.build(
        [manifest],
        [
          { heis: [VU], clientKeys: [vuKey] },
          { heis: ['other.example'], clientKeys: [otherKey] },
          { heis: ['stats.erasmuswithoutpaper.eu'], clientKeys: [statsKey] },
        ],
      );
      // Seeded after the catalogue is complete: the seed's CNRs make the hub read (and cache) it.
      await seed(hub.hub, 'local', luRecords);
      await seed(hub.hub, 'local', { 'learning-agreement': [laDraft()] });
      await seed(hub.hub, 'local', vuIncoming(INCOMING, LU, VU));
    });

    after(async () => {
      await hub?.close();
      await registry?.close();
    });

    it('Institutions: the HEI with its ids, names and units; other hei_id values ignored', async () => {
      const res = await call('institutions', [
        ['hei_id', LU],
        ['hei_id', 'nobody.example'],
      ]);
      assert.equal(res.status, 200, res.body);
      await assertValid(XSD.institutions, res.body);
      const doc = parseXml(res.body);
      assert.equal(children(doc, 'hei').length, 1);
      assert.match(res.body, /<other-id type="pic">999865134<\/other-id>/);
      assert.match(res.body, /<name xml:lang="en">University of Latvia<\/name>/);
      assert.match(res.body, /<ounit-id>EZTF<\/ounit-id><ounit-id>DF<\/ounit-id>/);
      const empty = await call('institutions', [['hei_id', 'nobody.example']]);
      assert.equal(children(parseXml(empty.body), 'hei').length, 0);
    });

    it('Organizational Units: by id and by code, with the parent unit; 400 for another HEI or both selectors', async () => {
      const res = await call('ounits', [
        ['hei_id', LU],
        ['ounit_id', 'DF'],
        ['ounit_id', 'EZTF'],
        ['ounit_id', 'unknown'],
      ]);
      assert.equal(res.status, 200, res.body);
      await assertValid(XSD.ounits, res.body);
      assert.match(res.body, /<ounit-id>DF<\/ounit-id><ounit-code>DF<\/ounit-code><name xml:lang="lv">Datorikas nodaļa<\/name><parent-ounit-id>EZTF<\/parent-ounit-id>/);
      assert.equal(children(parseXml(res.body), 'ounit').length, 2);
      assert.equal(
        (
          await call('ounits', [
            ['hei_id', LU],
            ['ounit_code', 'EZTF'],
          ])
        ).body.includes('<ounit-id>EZTF</ounit-id>'),
        true,
      );
      assert.equal(
        (
          await call('ounits', [
            ['hei_id', VU],
            ['ounit_id', 'DF'],
          ])
        ).status,
        400,
      );
      assert.equal(
        (
          await call('ounits', [
            ['hei_id', LU],
            ['ounit_id', 'DF'],
            ['ounit_code', 'DF'],
          ])
        ).status,
        400,
      );
      assert.equal(
        (
          await call('ounits', [
            ['hei_id', LU],
            ['hei_id', LU],
            ['ounit_id', 'DF'],
          ])
        ).status,
        400,
        'a single-valued parameter repeated',
      );
    });

    it('Courses and Simple Course Replication: los-ids, the course with its offering as an instance', async () => {
      const rep = await call('course-replication', [['hei_id', LU]]);
      assert.equal(rep.status, 200, rep.body);
      await assertValid(XSD.courseReplication, rep.body);
      const losId = childText(parseXml(rep.body), 'los-id')!;
      assert.match(losId, /^CR\//);
      const res = await call('courses', [
        ['hei_id', LU],
        ['los_id', losId],
      ]);
      assert.equal(res.status, 200, res.body);
      await assertValid(XSD.courses, res.body);
      assert.match(res.body, /<los-code>DatZ1234<\/los-code><ounit-id>EZTF<\/ounit-id><title xml:lang="lv">Programmēšanas pamati<\/title>/);
      assert.match(res.body, /<start>2025-09-01<\/start><end>2026-01-25<\/end><trm:academic-term><trm:academic-year-id>2025\/2026/);
      assert.match(res.body, /<credit><scheme>ects<\/scheme><value>6<\/value><\/credit><languageOfInstruction>en/);
      const byCode = await call('courses', [
        ['hei_id', LU],
        ['los_code', 'DatZ1234'],
        ['lois_before', '2025-01-01'],
      ]);
      assert.doesNotMatch(byCode.body, /learningOpportunityInstance/, 'no instance starts before 2025');
      const future = await call('course-replication', [
        ['hei_id', LU],
        ['modified_since', '2999-01-01T00:00:00Z'],
      ]);
      assert.equal(children(parseXml(future.body), 'los-id').length, 0);
      assert.equal(
        (
          await call('course-replication', [
            ['hei_id', LU],
            ['modified_since', '2024-01-01'],
          ])
        ).status,
        400,
        'a plain date is not an xs:dateTime',
      );
    });

    it('Factsheet: the configured factsheet of the HEI', async () => {
      const res = await call('factsheet', [['hei_id', LU]]);
      assert.equal(res.status, 200, res.body);
      await assertValid(XSD.factsheet, res.body);
      assert.match(res.body, /<autumn-term>--05-15<\/autumn-term>/);
      assert.match(res.body, /<p:e164>\+37167034444<\/p:e164>/);
    });

    it('IIAs get: the partner sees the IIA with its v7 hash (recomputed equal); others see nothing', async () => {
      const res = await call('iias/get', [
        ['iia_id', LU_IIA],
        ['iia_id', 'unknown'],
      ]);
      assert.equal(res.status, 200, res.body);
      await assertValid(XSD.iiasGet, res.body);
      const doc = parseXml(res.body);
      const iia = child(doc, 'iia')!;
      const partners = children(iia, 'partner');
      assert.equal(childText(partners[0]!, 'hei-id'), LU, 'the serving HEI comes first');
      assert.equal(childText(partners[1]!, 'hei-id'), VU);
      const [h] = iiaHashes(doc);
      assert.equal(childText(iia, 'iia-hash'), h!.hash);
      assert.equal(h!.validForApproval, true);
      assert.match(h!.textToHash, /^_iia-id_1=lu-iia-2025-001__iia-id_2=__cooperation-conditions.student-studies-mobility-spec.sending-hei-id=lu.lv_/);
      assert.match(res.body, /<c:contact-name>Ilze Kalniņa<\/c:contact-name><p:phone-number><p:e164>\+37167034567<\/p:e164>/);
      const stranger = await call('iias/get', [['iia_id', LU_IIA]], { key: otherKey });
      assert.equal(stranger.status, 200);
      assert.equal(children(parseXml(stranger.body), 'iia').length, 0, 'a HEI that is not a partner does not see the IIA');
      const many = await call(
        'iias/get',
        Array.from({ length: 11 }, (_, i): [string, string] => ['iia_id', `x${i}`]),
      );
      assert.equal(many.status, 400, 'more than max-iia-ids (10)');
    });

    it('IIAs index (academic years, modified_since), stats and approval (nothing approved yet)', async () => {
      const idx = await call('iias/index', [['receiving_academic_year_id', '2026/2027']]);
      assert.equal(idx.status, 200, idx.body);
      await assertValid(XSD.iiasIndex, idx.body);
      assert.match(idx.body, /<iia-id>lu-iia-2025-001<\/iia-id>/);
      assert.doesNotMatch((await call('iias/index', [['receiving_academic_year_id', '2030/2031']])).body, /iia-id/);
      assert.equal((await call('iias/index', [['receiving_academic_year_id', '2026-2027']])).status, 400);
      assert.doesNotMatch((await call('iias/index', [['modified_since', '2999-01-01T00:00:00+02:00']])).body, /iia-id/);
      const stats = await call('iias/stats', [], { method: 'GET', key: statsKey });
      assert.equal(stats.status, 200, stats.body);
      const partner = await call('iias/stats', [], { method: 'GET' });
      assert.equal(partner.status, 403, 'statistics are for the stats portal only');
      await assertValid(XSD.error, partner.body);
      await assertValid(XSD.iiasStats, stats.body);
      assert.match(stats.body, /<iia-fetchable>1<\/iia-fetchable><iia-local-unapproved-partner-approved>0</);
      const approval = await call('iias-approval', [['iia_id', 'vu-iia-77']]);
      assert.equal(approval.status, 200, approval.body);
      await assertValid(XSD.iiasApproval, approval.body);
      assert.doesNotMatch(approval.body, /<approval>/);
      // lu.lv approves vu.lt's copy: the approval is kept on that copy (written through the EWP source).
      const hash = 'ab'.repeat(32);
      await seed(hub.hub, 'ewp-in', {
        'inter-institutional-agreement': [{ ...vuIia(LU_IIA), sourceId: `iia/${VU}/${VU_IIA}`, approvals: [{ heiId: LU, approvedAt: '2025-03-10T10:00:00+02:00', iiaHash: hash }] }],
      });
      const approved = await call('iias-approval', [
        ['iia_id', VU_IIA],
        ['iia_id', 'unknown'],
      ]);
      await assertValid(XSD.iiasApproval, approved.body);
      assert.match(approved.body, new RegExp(`<approval><iia-id>${VU_IIA}</iia-id><iia-hash>${hash}</iia-hash></approval>`));
      assert.doesNotMatch((await call('iias-approval', [['iia_id', VU_IIA]], { key: otherKey })).body, /<approval>/, 'only the owner of the copy learns the approval');
      assert.match(
        (await call('iias/stats', [], { method: 'GET', key: statsKey })).body,
        /<iia-local-approved-partner-unapproved>0</,
        'lu.lv’s IIA is not mapped to vu-iia-77, so that approval is not of this IIA',
      );
    });

    it('Outgoing Mobilities 3: the nomination with the student, to the receiving HEI only; index; update (409 on a stale proposal)', async () => {
      const res = await call('omobilities/get', [['omobility_id', OMOBILITY]]);
      assert.equal(res.status, 200, res.body);
      await assertValid(XSD.omobilitiesGet, res.body);
      assert.match(res.body, /<global-id>urn:schac:personalUniqueCode:int:esi:lu.lv:ab19001<\/global-id>/);
      assert.match(res.body, /<status>pending<\/status>/);
      // The term: the sending HEI's academic year holds the mobility (its autumn semester ends before it does).
      assert.match(res.body, /<receiving-hei><hei-id>vu\.lt<\/hei-id><\/receiving-hei><sending-academic-term-ewp-id>2025\/2026-1\/1<\/sending-academic-term-ewp-id>/);
      // The agreement's field of education, and the nominee's own: their programme's (through the study right).
      assert.match(res.body, /<agreement-isced-f-code>0613<\/agreement-isced-f-code>/);
      assert.match(res.body, /<nominee-isced-f-code>0612<\/nominee-isced-f-code>/);
      assert.equal(children(parseXml((await call('omobilities/get', [['omobility_id', OMOBILITY]], { key: otherKey })).body), 'student-mobility').length, 0);
      const idx = await call('omobilities/index', [['receiving_academic_year_id', '2025/2026']]);
      await assertValid(XSD.omobilitiesIndex, idx.body);
      assert.match(idx.body, new RegExp(`<omobility-id>${OMOBILITY}</omobility-id>`));
      const proposal = /proposal-id="([0-9a-f]+)"/.exec(res.body)![1]!;
      const req = (pid: string) =>
        `<omobilities-update-request xmlns="${NS.omobilitiesUpdateReq}"><approve-proposal-v1><omobility-id>${OMOBILITY}</omobility-id><proposal-id>${pid}</proposal-id></approve-proposal-v1></omobilities-update-request>`;
      await assertValid(XSD.omobilitiesUpdateRequest, req(proposal));
      const stale = await call('omobilities/update', [], { xml: req('stale') });
      assert.equal(stale.status, 409);
      assert.match(stale.body, /<user-message xml:lang="en">The nomination was changed in the meantime/);
      await assertValid(XSD.error, stale.body);
      const ok = await call('omobilities/update', [], { xml: req(proposal) });
      assert.equal(ok.status, 200, ok.body);
      await assertValid(XSD.omobilitiesUpdate, ok.body);
      assert.match((await call('omobilities/get', [['omobility_id', OMOBILITY]])).body, /<status>approved<\/status>/);
      assert.equal((await call('omobilities/update', [], { xml: '<not-xml' })).status, 400);
    });

    it('Outgoing Mobility LAs 1: get, index, and update (409 on a stale proposal, approval stored through the pipeline)', async () => {
      const params: [string, string][] = [
        ['sending_hei_id', LU],
        ['omobility_id', OMOBILITY],
      ];
      const res = await call('omobility-las/get', params);
      assert.equal(res.status, 200, res.body);
      await assertValid(XSD.lasGet, res.body);
      assert.match(
        res.body,
        new RegExp(
          `<changes-proposal id="${OMOBILITY}-v1"><components-studied><component><los-code>ISI-2041</los-code><title>Distributed Systems</title><term-id><trm:term-number>1</trm:term-number><trm:total-terms>2</trm:total-terms></term-id>`,
        ),
      );
      assert.match(res.body, /<contact-person><given-names>Rūta<\/given-names><family-name>Petrauskienė<\/family-name><email>erasmus@vu.lt<\/email><\/contact-person>/);
      assert.equal(
        (
          await call('omobility-las/get', [
            ['sending_hei_id', VU],
            ['omobility_id', OMOBILITY],
          ])
        ).status,
        400,
      );
      const idx = await call('omobility-las/index', [['sending_hei_id', LU]]);
      await assertValid(XSD.lasIndex, idx.body);
      assert.match(idx.body, new RegExp(OMOBILITY));
      const update = (id: string) =>
        `<omobility-las-update-request xmlns="${NS.lasUpdateReq}" xmlns:la="${NS.lasGet}"><sending-hei-id>${LU}</sending-hei-id><approve-proposal-v1><omobility-id>${OMOBILITY}</omobility-id><changes-proposal-id>${id}</changes-proposal-id><signature><la:signer-name>Rūta Petrauskienė</la:signer-name><la:signer-email>erasmus@vu.lt</la:signer-email><la:timestamp>2025-06-03T10:00:00+03:00</la:timestamp></signature></approve-proposal-v1></omobility-las-update-request>`;
      await assertValid(XSD.lasUpdateRequest, update('x'));
      // The requests the hub itself sends as the receiving HEI (approve and comment).
      const sig = { name: 'Rūta Petrauskienė', email: 'erasmus@vu.lt', position: 'Erasmus coordinator', timestamp: '2025-06-03T10:00:00+03:00' };
      for (const approve of [true, false]) {
        await assertValid(
          XSD.lasUpdateRequest,
          toXml(
            laUpdateRequest({
              kind: 'la-update',
              from: VU,
              to: LU,
              omobilityId: OMOBILITY,
              changesId: `${OMOBILITY}-v1`,
              approve,
              signature: sig,
              comment: approve ? undefined : 'Course ISI-2041 is full.',
            }),
          ),
        );
      }
      const stale = await call('omobility-las/update', [], { xml: update('stale') });
      assert.equal(stale.status, 409);
      assert.match(stale.body, /<user-message xml:lang="en">The learning agreement was changed in the meantime/);
      assert.equal((await call('omobility-las/update', [], { xml: update(`${OMOBILITY}-v1`), key: otherKey })).status, 400, 'only the receiving HEI may approve');
      const ok = await call('omobility-las/update', [], { xml: update(`${OMOBILITY}-v1`) });
      assert.equal(ok.status, 200, ok.body);
      await assertValid(XSD.lasUpdate, ok.body);
      const after = await call('omobility-las/get', params);
      await assertValid(XSD.lasGet, after.body);
      assert.match(after.body, /<first-version>.*<receiving-hei-signature><signer-name>Rūta Petrauskienė<\/signer-name>/s);
      assert.doesNotMatch(after.body, /<changes-proposal/);
      // The statistics portal's view: one outgoing LA for 2025/2026, approved once and not changed since.
      const stats = await call('omobility-las/stats', [], { method: 'GET', key: statsKey });
      assert.equal(stats.status, 200, stats.body);
      await assertValid(XSD.lasStats, stats.body);
      assert.match(
        stats.body,
        /<academic-year-la-stats><receiving-academic-year-id>2025\/2026<\/receiving-academic-year-id><la-outgoing-total>1<\/la-outgoing-total><la-outgoing-not-modified-after-approval>1<\/la-outgoing-not-modified-after-approval><la-outgoing-modified-after-approval>0<\/la-outgoing-modified-after-approval><la-outgoing-latest-version-approved>1<\/la-outgoing-latest-version-approved>/,
      );
      assert.equal((await call('omobility-las/stats', [], { method: 'GET' })).status, 403);
      // Outgoing Mobility Stats and Incoming Mobility ToR Stats: their own APIs, for the portal only.
      const om = await call('omobility-stats', [], { method: 'GET', key: statsKey });
      assert.equal(om.status, 200, om.body);
      await assertValid(XSD.omobilityStats, om.body);
      assert.match(
        om.body,
        /<academic-year-stats><receiving-academic-year-id>2025\/2026<\/receiving-academic-year-id><omobility-pending>\d+<\/omobility-pending><omobility-approved>\d+<\/omobility-approved><\/academic-year-stats>/,
      );
      const tor = await call('imobility-tor-stats', [], { method: 'GET', key: statsKey });
      assert.equal(tor.status, 200, tor.body);
      await assertValid(XSD.torStats, tor.body);
      assert.match(tor.body, /<imobility-tor-total>1<\/imobility-tor-total>/, 'the incoming student with results');
      for (const path of ['omobility-stats', 'imobility-tor-stats']) assert.equal((await call(path, [], { method: 'GET' })).status, 403);
    });

    it('Incoming Mobility ToRs 3: an ELMO transcript of the incoming student’s results; index', async () => {
      const res = await call('imobility-tors/get', [['omobility_id', INCOMING]]);
      assert.equal(res.status, 200, res.body);
      await assertValid(XSD.torsGet, res.body);
      assert.match(res.body, /<emrex:gradingSchemeLocalId>ECTS_AF<\/emrex:gradingSchemeLocalId><emrex:resultLabel>B<\/emrex:resultLabel>/);
      assert.match(res.body, /<emrex:status>passed<\/emrex:status>/);
      assert.match(res.body, /<emrex:gradingScheme localId="PASS_FAIL">/);
      // What the ToRs 3 XSD annotations require on top of ELMO.
      assert.match(res.body, /<emrex:identifier type="local">ISI-2041<\/emrex:identifier><emrex:identifier type="ewp-los-id">CR\/[0-9a-f-]+<\/emrex:identifier>/);
      assert.match(res.body, /<emrex:dateOfBirth>1999-05-17<\/emrex:dateOfBirth>/);
      assert.match(
        res.body,
        /<emrex:academicTerm><emrex:title xml:lang="en">Autumn semester 2025\/2026<\/emrex:title><emrex:start>2025-09-01<\/emrex:start><emrex:end>2026-01-25<\/emrex:end><\/emrex:academicTerm>/,
        'the HEI’s term that holds the result',
      );
      assert.match(res.body, /<emrex:resultDistribution><emrex:category label="A" count="0"\/><emrex:category label="B" count="1"\/>/);
      assert.match(res.body, /<emrex:credit><emrex:scheme>ects<\/emrex:scheme><emrex:value>5<\/emrex:value><\/emrex:credit>/);
      // Egracons table for the ISCED code of the course: one B and one pass among the HEI's results of that code.
      assert.match(res.body, /<gradeConversionTable><iscedTable iscedCode="0613"><gradeFrequency label="A" percentage="0"\/><gradeFrequency label="B" percentage="100"\/>/);
      // ToRs 3: omobility_id is the only get parameter; index takes modified_since only.
      const idx = await call('imobility-tors/index', []);
      await assertValid(XSD.torsIndex, idx.body);
      assert.match(idx.body, new RegExp(`<omobility-id>${INCOMING}</omobility-id>`));
      assert.doesNotMatch((await call('imobility-tors/index', [['modified_since', '2999-01-01T00:00:00Z']])).body, /omobility-id/);
      assert.doesNotMatch((await call('imobility-tors/index', [], { key: otherKey })).body, /omobility-id/, 'a HEI that is not the sending HEI sees no ToR');
      assert.equal(children(parseXml((await call('imobility-tors/get', [['omobility_id', INCOMING]], { key: otherKey })).body), 'tor').length, 0);
      assert.equal((await call('imobility-tors/get', [])).status, 400, 'omobility_id is required');
      const many = Array.from({ length: 11 }, (_, i): [string, string] => ['omobility_id', `m${i}`]);
      assert.equal((await call('imobility-tors/get', many)).status, 400, 'more than max-omobility-ids');
    });

    it('CNR receivers answer 200 at once (even for unknown ids) and queue the re-fetch', async () => {
      for (const [path, params, xsd] of [
        ['iia-cnr', [['iia_id', 'vu-iia-77']], XSD.iiaCnr],
        ['iia-approval-cnr', [['iia_id', LU_IIA]], XSD.iiaApprovalCnr],
        ['omobility-cnr', [['omobility_id', 'nope']], XSD.omobilityCnr],
        [
          'omobility-la-cnr',
          [
            ['sending_hei_id', VU],
            ['omobility_id', 'nope'],
          ],
          XSD.laCnr,
        ],
        ['imobility-tor-cnr', [['omobility_id', OMOBILITY]], XSD.torCnr],
      ] as const) {
        const res = await call(path, params as unknown as [string, string][]);
        assert.equal(res.status, 200, `${path}: ${res.body}`);
        await assertValid(xsd, res.body);
      }
      assert.equal((await call('iia-cnr', [])).status, 400, 'a CNR without its id is a bad request');
      assert.equal(
        (
          await call('omobility-la-cnr', [
            ['sending_hei_id', LU],
            ['omobility_id', 'x'],
          ])
        ).status,
        400,
        'the caller does not cover that sending HEI',
      );
      assert.equal((await call('iia-cnr', [['iia_id', 'x']], { method: 'GET' })).status, 405);
      const metric = await hub.hub.metrics.registry.getSingleMetricAsString('hub_ewp_cnr_received_total');
      assert.match(metric, /api="imobility-tor-cnr"} 1/);
    });

    it('writes what it served to the disclosure log: per record, the partner as recipient, the EWP endpoint as route', async () => {
      const entries = [];
      for await (const e of hub.hub.privacy.log.entries()) entries.push(e);
      const ewp = entries.filter((e) => e.route?.startsWith('ewp:'));
      const kinds = new Set(ewp.map((e) => `${e.route} ${e.entity}`));
      for (const k of [
        'ewp:iias/get inter-institutional-agreement',
        'ewp:omobilities/get person',
        'ewp:omobilities/get mobility-period',
        'ewp:omobility-las/get learning-agreement',
        'ewp:omobility-las/get person',
        'ewp:imobility-tors/get attainment',
        'ewp:imobility-tors/get person',
      ])
        assert.ok(kinds.has(k), `${k} logged (got: ${[...kinds].join(', ')})`);
      for (const e of ewp) {
        assert.equal(e.recipient, VU, 'only vu.lt was served anything; the other HEI’s calls got empty answers');
        assert.equal(e.legalBasis, 'contract');
        assert.ok(e.fields && e.fields.length > 0 && !e.fields.some((f) => f.includes('personas-kods')));
        if (e.entity !== 'inter-institutional-agreement') assert.match(e.person ?? '', /^[pi]:[0-9a-f]{64}$/, 'the person, pseudonymised');
      }
      assert.ok(!ewp.some((e) => e.route === 'ewp:imobility-tors/index' || e.route === 'ewp:omobilities/index'), 'index answers (ids only) are not disclosures');
      assert.equal((await hub.hub.privacy.log.verify()).ok, true);
    });

    it('never lets a personal code out', () => {
      assert.ok(seen.length > 20);
      for (const body of seen) assert.ok(!body.includes(PERSONAL_CODE));
    });
  });
}
