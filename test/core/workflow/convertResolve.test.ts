import assert from 'node:assert/strict';
import { convertEditorToApi } from '../../../src/core/workflow/convert';
import { bypassInputIndex, typesCompatible } from '../../../src/core/workflow/convertBypass';
import type { EditorLinkArray, EditorNode } from '../../../src/core/workflow/types';
import { node, output, socket, testDefs, workflow } from './convertTestKit';

describe('typesCompatible', () => {
  it('lets "*" and the empty type match anything', () => {
    assert.ok(typesCompatible('*', 'IMAGE'));
    assert.ok(typesCompatible('LATENT', ''));
  });

  it('compares type names without regard to case', () => {
    assert.ok(typesCompatible('image', 'IMAGE'));
  });

  it('matches a comma list when any member matches', () => {
    assert.ok(typesCompatible('IMAGE,MASK', 'MASK'));
    assert.ok(!typesCompatible('IMAGE,MASK', 'LATENT'));
  });

  it('refuses two different plain types', () => {
    assert.ok(!typesCompatible('MODEL', 'LATENT'));
  });
});

describe('bypassInputIndex', () => {
  const bypassed = (inputs: [string, string][], outputs: string[]): EditorNode =>
    node(1, 'Any', {
      inputs: inputs.map(([name, type]) => socket(name, type, null)),
      outputs: outputs.map((t) => output(t, t)),
    });

  it('prefers the input at the same index when both types fit', () => {
    const n = bypassed(
      [
        ['model', 'MODEL'],
        ['clip', 'CLIP'],
      ],
      ['MODEL', 'CLIP'],
    );
    assert.equal(bypassInputIndex(n, 1, 'CLIP'), 1);
  });

  it('falls back to the first input of exactly the wanted type', () => {
    const n = bypassed(
      [
        ['model', 'MODEL'],
        ['positive', 'CONDITIONING'],
        ['latent_image', 'LATENT'],
      ],
      ['LATENT'],
    );
    assert.equal(bypassInputIndex(n, 0, 'LATENT'), 2);
  });

  it('prefers an input of exactly the wanted type over an earlier wildcard input', () => {
    const n = bypassed(
      [
        ['model', 'MODEL'],
        ['anything', '*'],
        ['samples', 'LATENT'],
      ],
      ['LATENT'],
    );
    assert.equal(bypassInputIndex(n, 0, 'LATENT'), 2);
  });

  it('falls back to the first type-compatible input when none matches exactly', () => {
    const n = bypassed(
      [
        ['vae', 'VAE'],
        ['pixels', 'IMAGE,MASK'],
      ],
      ['MASK'],
    );
    assert.equal(bypassInputIndex(n, 0, 'MASK'), 1);
  });

  it('finds nothing when no input fits', () => {
    const n = bypassed(
      [
        ['pixels', 'IMAGE'],
        ['vae', 'VAE'],
      ],
      ['LATENT'],
    );
    assert.equal(bypassInputIndex(n, 0, 'LATENT'), -1);
  });

  it('takes the same index for a consumer that accepts anything', () => {
    const n = bypassed(
      [
        ['a', 'IMAGE'],
        ['b', 'MASK'],
      ],
      ['IMAGE', 'MASK'],
    );
    assert.equal(bypassInputIndex(n, 1, '*'), 1);
  });
});

/** LoadImage(1) -> A(2) -> B(3) -> SaveImage(4), with A and B as given. */
function imageChain(a: EditorNode, b: EditorNode): ReturnType<typeof workflow> {
  const links: EditorLinkArray[] = [
    [1, 1, 0, 2, 0, 'IMAGE'],
    [2, 2, 0, 3, 0, 'IMAGE'],
    [3, 3, 0, 4, 0, 'IMAGE'],
  ];
  return workflow(
    [
      node(1, 'LoadImage', { outputs: [output('IMAGE', 'IMAGE', [1])], widgets: ['in.png', 'image'] }),
      a,
      b,
      node(4, 'SaveImage', { inputs: [socket('images', 'IMAGE', 3)], widgets: ['out'] }),
    ],
    links,
  );
}

const invert = (id: number, link: number | null, mode = 0) =>
  node(id, 'ImageInvert', {
    mode,
    inputs: [socket('image', 'IMAGE', link)],
    outputs: [output('IMAGE', 'IMAGE', [id])],
  });
const blur = (id: number, link: number | null, mode = 0) =>
  node(id, 'ImageBlur', {
    mode,
    inputs: [socket('image', 'IMAGE', link)],
    outputs: [output('IMAGE', 'IMAGE', [id])],
    widgets: [3, 1.5],
  });
const reroute = (id: number, link: number | null, mode = 0) =>
  node(id, 'Reroute', { mode, inputs: [socket('', '*', link)], outputs: [output('', 'IMAGE', [id])] });

describe('resolving links through nodes that are not sent', () => {
  it('passes through a chain of bypassed nodes', () => {
    const { prompt } = convertEditorToApi(imageChain(invert(2, 1, 4), blur(3, 2, 4)), testDefs());
    assert.deepStrictEqual(Object.keys(prompt).sort(), ['1', '4']);
    assert.deepStrictEqual(prompt['4'].inputs.images, ['1', 0]);
  });

  it('leaves an input unset when the bypassed node passes on an unconnected input', () => {
    const { prompt } = convertEditorToApi(imageChain(invert(2, null, 4), blur(3, 2, 4)), testDefs());
    assert.equal('images' in prompt['4'].inputs, false);
  });

  it('passes through a muted Reroute, since reroutes never run', () => {
    const { prompt } = convertEditorToApi(imageChain(reroute(2, 1, 2), invert(3, 2)), testDefs());
    assert.deepStrictEqual(prompt['3'].inputs.image, ['1', 0]);
  });

  it('drops the input of a node whose source is muted, widget value included', () => {
    const wf = workflow(
      [
        node(1, 'PrimitiveString', {
          mode: 2,
          outputs: [output('STRING', 'STRING', [1])],
          widgets: ['upstream'],
        }),
        node(2, 'CLIPTextEncode', { inputs: [socket('text', 'STRING', 1, true)], widgets: ['own text'] }),
      ],
      [[1, 1, 0, 2, 0, 'STRING']],
    );
    assert.deepStrictEqual(convertEditorToApi(wf, testDefs()).prompt['2'].inputs, {});
  });

  it('keeps the widget value of an input fed by a Reroute with nothing behind it', () => {
    const wf = workflow(
      [
        node(1, 'Reroute', { inputs: [socket('', '*', null)], outputs: [output('', 'STRING', [1])] }),
        node(2, 'CLIPTextEncode', { inputs: [socket('text', 'STRING', 1, true)], widgets: ['own text'] }),
      ],
      [[1, 1, 0, 2, 0, 'STRING']],
    );
    assert.deepStrictEqual(convertEditorToApi(wf, testDefs()).prompt['2'].inputs, { text: 'own text' });
  });

  it('gives every target of a PrimitiveNode its value, through reroutes too', () => {
    const wf = workflow(
      [
        node(1, 'PrimitiveNode', { outputs: [output('STRING', 'STRING', [1, 2])], widgets: ['shared'] }),
        node(2, 'Reroute', { inputs: [socket('', '*', 2)], outputs: [output('', 'STRING', [3])] }),
        node(3, 'CLIPTextEncode', { inputs: [socket('text', 'STRING', 1, true)], widgets: ['a'] }),
        node(4, 'CLIPTextEncode', { inputs: [socket('text', 'STRING', 3, true)], widgets: ['b'] }),
      ],
      [
        [1, 1, 0, 3, 0, 'STRING'],
        [2, 1, 0, 2, 0, 'STRING'],
        [3, 2, 0, 4, 0, 'STRING'],
      ],
    );
    const { prompt } = convertEditorToApi(wf, testDefs());
    assert.deepStrictEqual([prompt['3'].inputs.text, prompt['4'].inputs.text], ['shared', 'shared']);
  });

  it('wraps an array that a PrimitiveNode passes on', () => {
    const wf = workflow(
      [
        node(1, 'PrimitiveNode', { outputs: [output('COMBO', 'COMBO', [1])], widgets: [['red', 'green']] }),
        node(2, 'TagSelector', { inputs: [socket('tags', 'COMBO', 1, true)], widgets: [['blue'], ', '] }),
      ],
      [[1, 1, 0, 2, 0, 'COMBO']],
    );
    const { prompt } = convertEditorToApi(wf, testDefs());
    assert.deepStrictEqual(prompt['2'].inputs.tags, { __value__: ['red', 'green'] });
  });

  it('keeps the target value, with a warning, when a PrimitiveNode has no saved value', () => {
    const wf = workflow(
      [
        node(1, 'PrimitiveNode', { outputs: [output('STRING', 'STRING', [1])] }),
        node(2, 'CLIPTextEncode', { inputs: [socket('text', 'STRING', 1, true)], widgets: ['own text'] }),
      ],
      [[1, 1, 0, 2, 0, 'STRING']],
    );
    const { prompt, warnings } = convertEditorToApi(wf, testDefs());
    assert.deepStrictEqual(prompt['2'].inputs, { text: 'own text' });
    assert.equal(warnings.length, 1);
  });
});
