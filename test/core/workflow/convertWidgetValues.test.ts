import assert from 'node:assert/strict';
import type { NodeDef } from '../../../src/core/workflow/types';
import { mapWidgetValues, widgetLayout } from '../../../src/core/workflow/widgetValues';
import type { WidgetMapping } from '../../../src/core/workflow/widgetValues';
import { node, testDefs } from './convertTestKit';

/** A definition with just the inputs a test needs. */
function def(
  required: NodeDef['input']['required'],
  optional?: NodeDef['input']['optional'],
  inputOrder?: NodeDef['input_order'],
  name = 'TestNode',
): NodeDef {
  return {
    input: { required, optional },
    input_order: inputOrder,
    output: [],
    output_is_list: [],
    output_name: [],
    name,
    display_name: name,
    description: '',
    python_module: 'test',
    category: 'test',
    output_node: false,
  };
}

function map(d: NodeDef, widgets: unknown[] | Record<string, unknown> | undefined): WidgetMapping {
  return mapWidgetValues(node(1, d.name, { widgets }), d);
}

function values(mapping: WidgetMapping): Record<string, unknown> {
  assert.ok(mapping.ok, mapping.ok ? '' : mapping.problem);
  return Object.fromEntries(mapping.values);
}

describe('mapWidgetValues', () => {
  it('skips the control value of an INT named seed that has no control flag', () => {
    const d = def({ seed: ['INT', { default: 0 }], steps: ['INT', { default: 20 }] });
    assert.deepStrictEqual(values(map(d, [7, 'fixed', 30])), { seed: 7, steps: 30 });
  });

  it('gives noise_seed the same control value as seed', () => {
    const d = def({ noise_seed: ['INT'], cfg: ['FLOAT'] });
    assert.deepStrictEqual(values(map(d, [5, 'randomize', 7.5])), { noise_seed: 5, cfg: 7.5 });
  });

  it('gives a seed no control value when the flag is explicitly false', () => {
    const d = def({ seed: ['INT', { control_after_generate: false }], steps: ['INT'] });
    assert.deepStrictEqual(values(map(d, [7, 30])), { seed: 7, steps: 30 });
  });

  it('skips the control value of any INT that has the control flag', () => {
    const d = def({ value: ['INT', { control_after_generate: true }], other: ['STRING'] });
    assert.deepStrictEqual(values(map(d, [3, 'increment', 'x'])), { value: 3, other: 'x' });
  });

  it('skips the control value of a FLOAT that has the control flag', () => {
    const d = def({ value: ['FLOAT', { control_after_generate: true }], other: ['BOOLEAN'] });
    assert.deepStrictEqual(values(map(d, [0.5, 'fixed', true])), { value: 0.5, other: true });
  });

  it('skips both the control value and the filter list of a COMBO with the control flag', () => {
    const d = def({ pick: [['a', 'b'], { control_after_generate: true }], n: ['INT'] });
    assert.deepStrictEqual(values(map(d, ['b', 'increment-wrap', '', 4])), { pick: 'b', n: 4 });
  });

  it('gives sockets and forceInput inputs no position', () => {
    const d = def({ image: ['IMAGE'], count: ['INT', { forceInput: true }], label: ['STRING'] });
    assert.deepStrictEqual(values(map(d, ['hello'])), { label: 'hello' });
  });

  it('falls back to the older layout where forceInput inputs kept a widget, with a warning', () => {
    const d = def({ count: ['INT', { forceInput: true }], label: ['STRING'] });
    const mapping = map(d, [3, 'hello']);
    assert.deepStrictEqual(values(mapping), { count: 3, label: 'hello' });
    assert.equal(mapping.ok && mapping.warnings.length, 1);
  });

  it('follows input_order over the order of the definition dicts', () => {
    const d = def(
      { b: ['INT'], a: ['STRING'] },
      { c: ['BOOLEAN'] },
      { required: ['a', 'b'], optional: ['c'] },
    );
    assert.deepStrictEqual(values(map(d, ['x', 1, true])), { a: 'x', b: 1, c: true });
  });

  it('uses dict order, required first, without input_order', () => {
    const d = def({ b: ['INT'], a: ['STRING'] }, { c: ['BOOLEAN'] });
    assert.deepStrictEqual(values(map(d, [1, 'x', true])), { b: 1, a: 'x', c: true });
  });

  it('drops the upload button value after all widgets of LoadImage', () => {
    assert.deepStrictEqual(values(map(testDefs().LoadImage, ['cat.png', 'image'])), { image: 'cat.png' });
  });

  it('accepts LoadImage saved without its upload button value', () => {
    assert.deepStrictEqual(values(map(testDefs().LoadImage, ['cat.png'])), { image: 'cat.png' });
  });

  it('refuses more UI-only values than an upload node can have', () => {
    assert.equal(map(testDefs().LoadImage, ['cat.png', 'image', 'x', 'y']).ok, false);
  });

  it('places the upload button between required and optional widgets without input_order', () => {
    const d = def({ image: [['a.png'], { image_upload: true }] }, { strength: ['FLOAT'] });
    assert.deepStrictEqual(values(map(d, ['a.png', 'image', 0.7])), { image: 'a.png', strength: 0.7 });
  });

  it('drops the audio player value the frontend saved for SaveAudio', () => {
    const saved = ['audio/ComfyUI', null];
    assert.deepStrictEqual(values(map(testDefs().SaveAudio, saved)), { filename_prefix: 'audio/ComfyUI' });
  });

  it('refuses a widget count that does not fit, explaining the layout', () => {
    const mapping = map(testDefs().KSampler, [1, 20, 8, 'euler', 'normal', 1]);
    assert.equal(mapping.ok, false);
    assert.match(mapping.ok ? '' : mapping.problem, /6 saved widget values but its definition gives 7/);
  });

  it('reads widget values saved as a name to value object', () => {
    const d = def({ fps: ['FLOAT'], name: ['STRING'] });
    const mapping = map(d, { fps: 12, name: 'clip', preview: { paused: true } });
    assert.deepStrictEqual(values(mapping), { fps: 12, name: 'clip' });
    assert.equal(mapping.ok && mapping.warnings.length, 0);
  });

  it('warns about names missing from widget values saved as an object', () => {
    const d = def({ fps: ['FLOAT'], name: ['STRING'] });
    const mapping = map(d, { fps: 12 });
    assert.deepStrictEqual(values(mapping), { fps: 12 });
    assert.equal(mapping.ok && mapping.warnings.length, 1);
  });

  it('uses the definition defaults, with a warning, when no widget values were saved', () => {
    const d = def({ mode: [['fast', 'slow']], size: ['INT', { default: 64 }], label: ['STRING'] });
    const mapping = map(d, undefined);
    assert.deepStrictEqual(values(mapping), { mode: 'fast', size: 64, label: '' });
    assert.equal(mapping.ok && mapping.warnings.length, 1);
  });
});

describe('widgetLayout', () => {
  it('lays out KSampler as the frontend saves it', () => {
    const kinds = widgetLayout(testDefs().KSampler).map((s) => `${s.kind}:${s.name}`);
    assert.deepStrictEqual(kinds, [
      'value:seed',
      'control:seed',
      'value:steps',
      'value:cfg',
      'value:sampler_name',
      'value:scheduler',
      'value:denoise',
    ]);
  });

  it('lays out a COMBO with the control flag as value, control and filter', () => {
    const kinds = widgetLayout(testDefs().StylePromptPicker).map((s) => s.kind);
    assert.deepStrictEqual(kinds, ['value', 'control', 'filter', 'value', 'value', 'control']);
  });
});
