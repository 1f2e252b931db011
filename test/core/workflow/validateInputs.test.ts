import assert from 'node:assert/strict';
import { validatePrompt } from '../../../src/core/workflow/validate';
import type { ApiPrompt, ComfyErrorItem, NodeDef, NodeDefs } from '../../../src/core/workflow/types';
import { defs, emptyImage, node, saveImage } from './validateFixtures';

/** The errors of node `id` after validating `prompt`, or [] when it has none. */
function errorsOf(prompt: ApiPrompt, id: string, nodeDefs: NodeDefs = defs): ComfyErrorItem[] {
  return validatePrompt(prompt, nodeDefs).node_errors[id]?.errors ?? [];
}

/** A custom definition with one required input of `type` and one output of `output`. */
function customDef(name: string, type: unknown, output: string[] = ['IMAGE']): NodeDef {
  return {
    input: { required: { x: [type as string] } },
    output,
    output_is_list: output.map(() => false),
    output_name: output,
    name,
    display_name: name,
    description: '',
    python_module: 'custom',
    category: 'test',
    output_node: false,
  };
}

describe('validatePrompt: checks of one node', () => {
  it('reports a missing required input by name', () => {
    const errors = errorsOf({ '1': node('ImageInvert'), '2': saveImage('1') }, '1');
    assert.deepEqual(errors, [
      {
        type: 'required_input_missing',
        message: 'Required input is missing',
        details: 'image',
        extra_info: { input_name: 'image' },
      },
    ]);
  });

  it('does not require optional inputs', () => {
    const prompt = {
      '1': emptyImage(),
      '2': node('ImageCompositeMasked', {
        destination: ['1', 0],
        source: ['1', 0],
        x: 0,
        y: 0,
        resize_source: false,
      }),
      '3': saveImage('2'),
    };
    assert.equal(validatePrompt(prompt, defs).ok, true);
  });

  it('reports a link that is not a pair as bad_linked_input', () => {
    const [error] = errorsOf(
      { '1': emptyImage(), '2': node('ImageInvert', { image: ['1', 0, 0] }), '3': saveImage('2') },
      '2',
    );
    assert.equal(error.type, 'bad_linked_input');
    assert.equal(error.message, 'Bad linked input, must be a length-2 list of [node_id, slot_index]');
    assert.equal(error.extra_info.input_name, 'image');
  });

  it('reports a link to a node that is not in the prompt', () => {
    const [error] = errorsOf({ '2': node('ImageInvert', { image: ['9', 0] }), '3': saveImage('2') }, '2');
    assert.equal(error.type, 'bad_linked_input');
    assert.equal(error.details, "image: node '9' is not in the prompt");
  });

  it('reports a link with a numeric node id, which the server cannot look up', () => {
    const [error] = errorsOf(
      { '1': emptyImage(), '2': node('ImageInvert', { image: [1, 0] }), '3': saveImage('2') },
      '2',
    );
    assert.equal(error.type, 'bad_linked_input');
    assert.match(error.details, /node id 1 is not a string/);
  });

  it('reports a link to an output slot the source node does not have', () => {
    const [error] = errorsOf(
      { '1': emptyImage(), '2': node('ImageInvert', { image: ['1', 3] }), '3': saveImage('2') },
      '2',
    );
    assert.equal(error.type, 'bad_linked_input');
    assert.equal(error.details, "image: node '1' (EmptyImage) has no output 3, it has 1 output");
  });

  it('reports a link of the wrong type as return_type_mismatch with the received type and linked node', () => {
    const prompt = {
      '1': emptyImage(),
      '2': node('ImageToMask', { image: ['1', 0], channel: 'red' }),
      '3': node('ImageInvert', { image: ['2', 0] }),
      '4': saveImage('3'),
    };
    const [error] = errorsOf(prompt, '3');
    assert.equal(error.type, 'return_type_mismatch');
    assert.equal(error.details, 'image, received_type(MASK) mismatch input_type(IMAGE)');
    assert.equal(error.extra_info.received_type, 'MASK');
    assert.deepEqual(error.extra_info.linked_node, ['2', 0]);
  });

  it('accepts any output into a "*" input', () => {
    const prompt = { '1': emptyImage(), '2': node('PreviewAny', { source: ['1', 0] }) };
    assert.equal(validatePrompt(prompt, defs).ok, true);
  });

  it('accepts a link into a comma-list input type when one member matches', () => {
    const custom = { ...defs, Either: customDef('Either', 'IMAGE,MASK') };
    const prompt = { '1': emptyImage(), '2': node('Either', { x: ['1', 0] }), '3': saveImage('2') };
    assert.deepEqual(errorsOf(prompt, '2', custom), []);
  });

  it('rejects a link into a comma-list input type when no member matches', () => {
    const custom = { ...defs, Either: customDef('Either', 'LATENT,MASK') };
    const prompt = { '1': emptyImage(), '2': node('Either', { x: ['1', 0] }), '3': saveImage('2') };
    assert.equal(errorsOf(prompt, '2', custom)[0]?.type, 'return_type_mismatch');
  });

  it("reports a value that does not convert to INT as invalid_input_type with Python's message", () => {
    const [error] = errorsOf({ '1': emptyImage({ width: 'wide' }), '2': saveImage('1') }, '1');
    assert.equal(error.type, 'invalid_input_type');
    assert.equal(error.message, 'Failed to convert an input value to a INT value');
    assert.equal(error.details, "width, wide, invalid literal for int() with base 10: 'wide'");
  });

  it('reports a value below min with the received value and input config', () => {
    const [error] = errorsOf({ '1': emptyImage({ width: 0 }), '2': saveImage('1') }, '1');
    assert.equal(error.type, 'value_smaller_than_min');
    assert.equal(error.message, 'Value 0 smaller than min of 1');
    assert.equal(error.extra_info.received_value, 0);
    assert.deepEqual(error.extra_info.input_config, ['INT', { default: 512, min: 1, max: 16384, step: 1 }]);
  });

  it('reports a value above max, printing FLOAT values as Python floats', () => {
    const prompt = {
      '1': emptyImage(),
      '2': node('ImageBlend', { image1: ['1', 0], image2: ['1', 0], blend_factor: 2, blend_mode: 'normal' }),
      '3': saveImage('2'),
    };
    const [error] = errorsOf(prompt, '2');
    assert.equal(error.type, 'value_bigger_than_max');
    assert.equal(error.message, 'Value 2.0 bigger than max of 1.0');
  });

  it('reports a value not in a legacy list COMBO with the choices and a suggestion', () => {
    const prompt = {
      '1': emptyImage(),
      '2': node('ImageScale', {
        image: ['1', 0],
        upscale_method: 'bicubik',
        width: 8,
        height: 8,
        crop: 'disabled',
      }),
      '3': saveImage('2'),
    };
    const [error] = errorsOf(prompt, '2');
    assert.equal(error.type, 'value_not_in_list');
    assert.equal(
      error.details,
      "upscale_method: 'bicubik' not in ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']",
    );
    assert.equal(error.extra_info.suggestion, 'bicubic');
  });

  it('reports a value not in a "COMBO" input with options.options', () => {
    const prompt = {
      '1': emptyImage(),
      '2': node('ImageToMask', { image: ['1', 0], channel: 'purple' }),
      '3': node('MaskToImage', { mask: ['2', 0] }),
      '4': saveImage('3'),
    };
    const [error] = errorsOf(prompt, '2');
    assert.equal(error.type, 'value_not_in_list');
    assert.equal(error.details, "channel: 'purple' not in ['red', 'green', 'blue', 'alpha']");
    assert.deepEqual(error.extra_info.input_config, [
      'COMBO',
      { multiselect: false, options: ['red', 'green', 'blue', 'alpha'] },
    ]);
  });

  it('nulls input_config and abbreviates the list for a COMBO of more than 20 choices', () => {
    const choices = Array.from({ length: 21 }, (_, i) => `model_${i}.safetensors`);
    const custom = { ...defs, Loader: customDef('Loader', choices) };
    const prompt = { '1': node('Loader', { x: 'model_7.safetensor' }), '2': saveImage('1') };
    const [error] = errorsOf(prompt, '1', custom);
    assert.equal(error.details, "x: 'model_7.safetensor' not in (list of length 21)");
    assert.equal(error.extra_info.input_config, null);
    assert.equal(error.extra_info.suggestion, 'model_7.safetensors');
  });

  it('does not check upload combos, whose files the server checks on disk', () => {
    const prompt = { '1': node('LoadImage', { image: 'uploaded_later.png' }), '2': saveImage('1') };
    assert.equal(validatePrompt(prompt, defs).ok, true);
  });

  it('reports every failing input of a node at once', () => {
    const types = errorsOf(
      { '1': node('EmptyImage', { width: 0, height: 'x', color: 0 }), '2': saveImage('1') },
      '1',
    ).map((e) => `${e.type}:${String(e.extra_info.input_name)}`);
    assert.deepEqual(types, [
      'value_smaller_than_min:width',
      'invalid_input_type:height',
      'required_input_missing:batch_size',
    ]);
  });

  it('expands a V3 autogrow input into its numbered, dotted inputs', () => {
    const batch = node('BatchImagesNode', { 'images.image0': ['1', 0] });
    const errors = errorsOf({ '1': emptyImage(), '2': batch, '3': saveImage('2') }, '2');
    assert.deepEqual(
      errors.map((e) => [e.type, e.extra_info.input_name, e.details]),
      [['required_input_missing', 'images.image1', 'image1']],
    );
  });

  it('validates the inputs of the selected option of a V3 dynamic combo', () => {
    const resize = node('ResizeImageMaskNode', {
      input: ['1', 0],
      resize_type: 'scale by multiplier',
      'resize_type.multiplier': 20,
      scale_method: 'area',
    });
    const errors = errorsOf({ '1': emptyImage(), '2': resize, '3': saveImage('2') }, '2');
    assert.deepEqual(
      errors.map((e) => [e.type, e.extra_info.input_name]),
      [['value_bigger_than_max', 'resize_type.multiplier']],
    );
  });

  it('reports deeply nested values without overflowing the stack', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = { __value__: [deep] };
    const prompt = {
      '1': emptyImage({ width: deep }),
      '2': node('SaveImage', { images: ['1', 0], filename_prefix: deep }),
    };
    const result = validatePrompt(prompt, defs);
    assert.equal(result.node_errors['1'].errors[0].type, 'invalid_input_type');
    assert.match(String(result.prompt?.['2'].inputs.filename_prefix), /^\[\{'__value__': .*\.\.\./);
  });
});
