import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { need } from '../helpers/ci.ts';
import { requireSpecs, validateAgainst, VALIDATOR, XSD } from './helpers/xsd.ts';

/**
 * The XSD check every EWP test relies on (test/ewp/helpers/xsd.ts) must be able to fail: the official
 * example validates, the same document with one element renamed does not, with the element named.
 * Under CI the fast validator (Debian's xmllint, installed by .ci/run) is the one in use.
 */
describe('EWP XSD validation (the tests’ own check)', function () {
  this.timeout(30_000);

  it(`accepts the official IIA example and refuses it with one element renamed (${VALIDATOR})`, async function () {
    const dir = requireSpecs(this);
    const example = readFileSync(join(dir, 'ewp-specs-api-iias/endpoints/get-response-example.xml'), 'utf8');
    assert.deepEqual(await validateAgainst(dir, XSD.iiasGet, example), { valid: true, errors: [] });
    const broken = await validateAgainst(dir, XSD.iiasGet, example.replace('<iia-id>', '<iia-idx>').replace('</iia-id>', '</iia-idx>'));
    assert.equal(broken.valid, false);
    assert.match(broken.errors.join('\n'), /iia-idx': This element is not expected/);
  });

  it('uses the native xmllint where .ci/run installs it', function () {
    need(this, [VALIDATOR !== 'native' && 'xmllint on the PATH (apt-get install -y libxml2-utils)']);
    assert.equal(VALIDATOR, 'native');
  });
});
