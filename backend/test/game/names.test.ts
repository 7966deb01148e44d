// Display names: normalised, and refused when they could imitate another name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkName } from '@resident/shared/game';

test('names are NFKC-normalised: full-width and compatibility forms become plain letters', () => {
  assert.deepEqual(checkName('Ｆｕｌｌ　Ｗｉｄｔｈ'), { name: 'Full Width' });
  assert.deepEqual(checkName('ﬁsh'), { name: 'fish' });
});

test('one script per name, or the mixes a language needs', () => {
  for (const good of ['Admin', 'Админ', 'Ωμέγα', 'Zoë_9', '山田たろう', 'Sato タロウ', '김철수 Kim', '王小明 ㄅ'])
    assert.ok('name' in checkName(good), good);
});

test('mixed-script lookalikes and invisible characters are refused with a clear error', () => {
  const cases: [string, RegExp][] = [
    ['\u0410dmin', /mixes letters of different scripts/], // Cyrillic А
    ['p\u0430ypal', /mixes letters of different scripts/], // Cyrillic а
    ['\u0391lpha', /mixes letters of different scripts/], // Greek Α
    ['Ad\u200Bmin', /may contain letters/], // zero-width space
    ['Ad\u202Emin', /may contain letters/], // right-to-left override
    ['Ad\u3164min', /invisible/], // Hangul filler, a "letter" that shows nothing
    ['Adm\u0336in', /may contain letters/], // a combining mark that composes with nothing
  ];
  for (const [name, error] of cases) {
    const checked = checkName(name);
    assert.ok('error' in checked && error.test(checked.error), `${JSON.stringify(name)}: ${JSON.stringify(checked)}`);
  }
});
