import assert from 'node:assert/strict';
import { compileText, evaluate } from '../src/mapping/engine.ts';
import {
  code,
  dateDMY,
  dateDMYPrivate,
  isisGrade,
  lvGrade,
  lvGradeShort,
  MappingReject,
  num,
  present,
  presentTrimmed,
  studyLevel,
  texts,
  textsEach,
  trimmedCode,
  trimmedDateDMY,
  trimmedDateDMYPrivate,
} from '../src/mapping/functions.ts';

/** The message a native rejects with (and that it is a rejection, not a crash). */
function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MappingReject, `not a MappingReject: ${String(e)}`);
    assert.equal(e.jsonataCode, 'D3137');
    return e.message;
  }
  assert.fail('accepted');
}

describe('mapping functions (src/mapping/functions.ts)', function () {
  describe('$present, $presentTrimmed', function () {
    it('count missing, null and "" as absent, and anything else (0, false, blanks) as present', () => {
      for (const v of [undefined, null, '']) assert.equal(present(v), false);
      for (const v of [0, false, ' ', 'x', [], {}]) assert.equal(present(v), true);
    });

    it('$presentTrimmed counts a string of blanks as absent too', () => {
      for (const v of [undefined, null, '', ' ', ' \t\r\n ']) assert.equal(presentTrimmed(v), false);
      for (const v of [0, ' x ', '\u00a0']) assert.equal(presentTrimmed(v), true);
    });
  });

  describe('dates dd.mm.yyyy', function () {
    it('turn a calendar day into yyyy-mm-dd', () => {
      assert.equal(dateDMY('17.05.1999', 'f'), '1999-05-17');
      assert.equal(dateDMY('31.12.2024', 'f'), '2024-12-31');
      assert.equal(dateDMYPrivate('01.01.2000', 'f'), '2000-01-01');
    });

    it('know leap years: 29.02 in 2024 and 2000, not in 2023 or 1900', () => {
      assert.equal(dateDMY('29.02.2024', 'f'), '2024-02-29');
      assert.equal(dateDMY('29.02.2000', 'f'), '2000-02-29');
      assert.equal(
        rejection(() => dateDMY('29.02.2023', 'f')),
        "f: '29.02.2023' is not a valid date dd.mm.yyyy",
      );
      assert.equal(
        rejection(() => dateDMY('29.02.1900', 'f')),
        "f: '29.02.1900' is not a valid date dd.mm.yyyy",
      );
    });

    it('reject days that do not exist and other formats, naming field and value', () => {
      for (const v of ['31.04.2024', '00.01.2024', '01.13.2024', '01.00.2024', '2024-01-31', '1.2.2024', ' 01.02.2024'])
        assert.equal(
          rejection(() => dateDMY(v, 'datums')),
          `datums: '${v}' is not a valid date dd.mm.yyyy`,
        );
      assert.equal(
        rejection(() => dateDMY(20240131, 'datums')),
        "datums: '20240131' is not a valid date dd.mm.yyyy",
      );
      assert.equal(
        rejection(() => dateDMY(undefined, 'datums')),
        "datums: '' is not a valid date dd.mm.yyyy",
      );
    });

    it('…Private leaves the value out of the message', () => {
      assert.equal(
        rejection(() => dateDMYPrivate('31.02.1999', 'dzimsanas_datums')),
        'dzimsanas_datums: not a valid date dd.mm.yyyy',
      );
      assert.equal(
        rejection(() => trimmedDateDMYPrivate('31.02.1999', 'BirthDate')),
        'BirthDate: not a valid date dd.mm.yyyy',
      );
    });

    it('trimmed… drop blanks around the date first and quote the value as sent', () => {
      assert.equal(trimmedDateDMY(' 01.02.2024\t', 'f'), '2024-02-01');
      assert.equal(trimmedDateDMYPrivate('\n29.02.2024 ', 'f'), '2024-02-29');
      assert.equal(
        rejection(() => trimmedDateDMY(' 30.02.2024 ', 'datums')),
        "datums: ' 30.02.2024 ' is not a valid date dd.mm.yyyy",
      );
      assert.equal(
        rejection(() => trimmedDateDMYPrivate(42, 'f')),
        'f: not a valid date dd.mm.yyyy',
      );
    });
  });

  describe('$num', function () {
    it('takes a number, digits with a decimal point or comma, and blanks around them', () => {
      assert.equal(num(7.5, 'kp'), 7.5);
      assert.equal(num('180', 'kp'), 180);
      assert.equal(num('1,5', 'kp'), 1.5);
      assert.equal(num(' 2.25 ', 'kp'), 2.25);
      assert.equal(num('007', 'kp'), 7);
    });

    it('rejects anything else naming field and value', () => {
      for (const v of ['divi', '-1', '1e3', '1,5,0', '1 000', ''])
        assert.equal(
          rejection(() => num(v, 'kp')),
          `kp: '${v}' is not a number`,
        );
      assert.equal(
        rejection(() => num(null, 'kp')),
        "kp: 'null' is not a number",
      );
      assert.equal(
        rejection(() => num(undefined, 'kp')),
        "kp: '' is not a number",
      );
    });
  });

  describe('$code, $trimmedCode', function () {
    const forms = { 'pilna laika': 'full-time', 'nepilna laika': 'part-time' };

    it('look a value up in the table given', () => {
      assert.equal(code(forms, 'pilna laika', 'studiju_forma'), 'full-time');
      assert.equal(trimmedCode({ PLK: 'full-time' }, ' PLK ', 'Form'), 'full-time');
    });

    it('reject an unknown value listing the known ones in table order', () => {
      assert.equal(
        rejection(() => code(forms, 'vakara', 'studiju_forma')),
        "studiju_forma: unknown value 'vakara' (known: pilna laika, nepilna laika)",
      );
      assert.equal(
        rejection(() => trimmedCode({ VB: 'state-budget', M: 'tuition' }, 'X ', 'Funding')),
        "Funding: unknown code 'X ' (known: VB, M)",
      );
      assert.equal(
        rejection(() => trimmedCode({ VB: 'state-budget' }, undefined, 'Funding')),
        "Funding: unknown code '' (known: VB)",
      );
    });

    it('$code takes the value exactly as written, and never an inherited property', () => {
      assert.match(
        rejection(() => code(forms, ' pilna laika', 'f')),
        /unknown value ' pilna laika'/,
      );
      assert.match(
        rejection(() => code(forms, 'constructor', 'f')),
        /unknown value 'constructor'/,
      );
      assert.match(
        rejection(() => code({ '1': 'x' }, 1, 'f')),
        /unknown value '1'/,
      );
    });
  });

  describe('Latvian grades', function () {
    it('$lvGrade: 1..10 as number or string with the Latvian label, ieskaitīts / neieskaitīts in any case', () => {
      assert.deepEqual(lvGrade(10, 'atzime'), { value: '10', scheme: 'LV_10', label: 'izcili' });
      assert.deepEqual(lvGrade(' 4 ', 'atzime'), { value: '4', scheme: 'LV_10', label: 'gandrīz viduvēji' });
      assert.deepEqual(lvGrade('3', 'atzime'), { value: '3', scheme: 'LV_10', label: 'neapmierinoši' });
      assert.deepEqual(lvGrade('Ieskaitīts', 'atzime'), { value: 'passed', scheme: 'PASS_FAIL', label: 'ieskaitīts' });
      assert.deepEqual(lvGrade('neieskaitīts', 'atzime'), { value: 'failed', scheme: 'PASS_FAIL', label: 'neieskaitīts' });
    });

    it('$lvGrade rejects anything else naming the value', () => {
      for (const v of ['11', 'A', '9,5', 'i', '0'])
        assert.equal(
          rejection(() => lvGrade(v, 'atzime')),
          `atzime: '${v}' is neither a grade of the Latvian 10-point scale (1..10) nor ieskaitīts / neieskaitīts`,
        );
      assert.match(
        rejection(() => lvGrade(9.5, 'atzime')),
        /^atzime: '9.5' is neither/,
      );
      assert.match(
        rejection(() => lvGrade(undefined, 'atzime')),
        /^atzime: '' is neither/,
      );
    });

    it('$lvGradeShort also takes i / n', () => {
      assert.equal(lvGradeShort('I', 'atzime').value, 'passed');
      assert.equal(lvGradeShort('n', 'atzime').value, 'failed');
      assert.equal(lvGradeShort('8', 'atzime').label, 'ļoti labi');
      assert.match(
        rejection(() => lvGradeShort('x', 'atzime')),
        /^atzime: 'x' is neither a grade/,
      );
    });

    it('$isisGrade: 1..10, I and NI (upper case only)', () => {
      assert.deepEqual(isisGrade(' 7', 'Grade'), { value: '7', scheme: 'LV_10', label: 'labi' });
      assert.deepEqual(isisGrade(6, 'Grade'), { value: '6', scheme: 'LV_10', label: 'gandrīz labi' });
      assert.equal(isisGrade('I', 'Grade').value, 'passed');
      assert.equal(isisGrade('NI', 'Grade').value, 'failed');
      assert.equal(
        rejection(() => isisGrade(' ni ', 'Grade')),
        "Grade: 'ni' is neither 1..10 nor I / NI",
      );
      assert.equal(
        rejection(() => isisGrade('11', 'Grade')),
        "Grade: '11' is neither 1..10 nor I / NI",
      );
    });
  });

  describe('catalogue texts', () => {
    it('$texts: the languages that are there, nothing when none is', () => {
      assert.deepEqual(texts(' Datu bāzes ', 'Databases'), [
        { lang: 'lv', text: 'Datu bāzes' },
        { lang: 'en', text: 'Databases' },
      ]);
      assert.deepEqual(texts(undefined, 'Databases'), [{ lang: 'en', text: 'Databases' }]);
      assert.equal(texts('', '   '), undefined);
      assert.equal(texts(null, undefined), undefined);
    });

    it('$textsEach: one localized string per item, a single item still a list', async () => {
      assert.deepEqual(textsEach([{ lv: 'Zina', en: 'Knows' }, { lv: '', en: '' }, { en: 'Can' }], 'lv', 'en'), [
        [
          { lang: 'lv', text: 'Zina' },
          { lang: 'en', text: 'Knows' },
        ],
        [{ lang: 'en', text: 'Can' }],
      ]);
      assert.equal(textsEach([], 'lv', 'en'), undefined);
      assert.equal(textsEach(undefined, 'lv', 'en'), undefined);
      const expr = compileText('{ "o": $textsEach(r, "lv", "en") }', 'test/textsEach');
      const [out] = await evaluate(expr, { r: [{ lv: 'a', en: 'b' }] }, { institution: 'lu.lv', source: 'lu-lais' }, 'test/textsEach');
      assert.deepEqual(out, {
        o: [
          [
            { lang: 'lv', text: 'a' },
            { lang: 'en', text: 'b' },
          ],
        ],
      });
    });

    it('$studyLevel: EQF 5..8 to the cycle, nothing else', () => {
      assert.equal(studyLevel(5), 'short-cycle');
      assert.equal(studyLevel('6'), 'bachelor');
      assert.equal(studyLevel(7), 'master');
      assert.equal(studyLevel(8), 'doctoral');
      assert.equal(studyLevel(4), undefined);
      assert.equal(studyLevel(undefined), undefined);
    });
  });

  describe('bound in every mapping (evaluate() in engine.ts)', function () {
    const bindings = { institution: 'lu.lv', source: 'lu-lais' };

    it('can be called from JSONata', async () => {
      const expr = compileText('{ "d": $dateDMY(d, "d"), "n": $num(n, "n"), "g": $lvGrade(g, "g").label, "at": $institution }', 'test/natives');
      assert.deepEqual(await evaluate(expr, { d: '29.02.2024', n: '1,5', g: 9 }, bindings, 'test/natives'), [{ d: '2024-02-29', n: 1.5, g: 'teicami', at: 'lu.lv' }]);
    });

    it('reject with the plain message, as $error() does', async () => {
      const viaNative = compileText('{ "d": $dateDMY(d, "d") }', 'test/native');
      const viaError = compileText(`{ "d": $error("d: '" & d & "' is not a valid date dd.mm.yyyy") }`, 'test/native');
      const messages: string[] = [];
      for (const expr of [viaNative, viaError]) {
        await assert.rejects(evaluate(expr, { d: '30.02.2024' }, bindings, 'test/native'), (e: Error & { extra?: { jsonataCode?: string } }) => {
          messages.push(e.message);
          assert.equal(e.extra?.jsonataCode, 'D3137');
          return true;
        });
      }
      assert.equal(messages[0], "mapping test/native rejected the record: d: '30.02.2024' is not a valid date dd.mm.yyyy");
      assert.equal(messages[1], messages[0]);
    });

    it('a helper the mapping defines itself shadows the native one', async () => {
      const expr = compileText('($num := function($v) { "local" }; { "n": $num(1, "n") })', 'test/shadow');
      assert.deepEqual(await evaluate(expr, {}, bindings, 'test/shadow'), [{ n: 'local' }]);
    });
  });
});
