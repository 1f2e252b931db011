import assert from 'node:assert/strict';
import { budgetedSuggester, closestMatch, editDistance } from '../../../src/core/workflow/suggest';

describe('suggest', () => {
  const methods = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'];

  it('suggests the choice one typo away', () => {
    assert.equal(closestMatch('bicubik', methods), 'bicubic');
  });

  it('suggests nothing when every choice is far off', () => {
    assert.equal(closestMatch('no-such-method', methods), undefined);
  });

  it('prefers a match that differs only in case', () => {
    assert.equal(closestMatch('BILINEAR', methods), 'bilinear');
  });

  it('finds a model file that moved into a subfolder, with either slash', () => {
    const models = ['SD1.5/v1-5-pruned.safetensors', 'SDXL\\sdxl_base.safetensors'];
    assert.equal(closestMatch('v1-5-pruned.safetensors', models), models[0]);
    assert.equal(closestMatch('other/sdxl_base.safetensors', models), models[1]);
  });

  it('ignores candidates that are not strings', () => {
    assert.equal(closestMatch('1', [1, null, '2']), '2');
  });

  it('measures edit distance, stopping early past the limit', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('kitten', 'sitting', 1), 2);
  });

  it('stops searching once its budget is spent, but remembers earlier answers', () => {
    const suggest = budgetedSuggester(1);
    assert.equal(suggest('bicubik', methods), 'bicubic');
    assert.equal(suggest('lanczoz', methods), undefined);
    assert.equal(suggest('bicubik', methods), 'bicubic');
  });
});
