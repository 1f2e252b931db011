import assert from 'node:assert/strict';
import { convertEditorToApi } from '../../../src/core/workflow/convert';
import type { EditorLinkObject, EditorNode, EditorWorkflow } from '../../../src/core/workflow/types';
import { node, output, socket, testDefs, workflow } from './convertTestKit';

const OUTER = '6c1f0e2d-3b4a-4c5d-8e6f-7a8b9c0d1e2f';
const INNER = 'a0b1c2d3-e4f5-4a6b-9c7d-8e9f0a1b2c3d';

/** A subgraph definition as the frontend saves it (object links, boundary nodes -10 and -20). */
function definition(
  id: string,
  nodes: EditorNode[],
  links: [number, number, number, number, number, string][],
  inputs: [string, string][],
  outputs: [string, string][],
): Record<string, unknown> {
  const linkObjects: EditorLinkObject[] = links.map(([lid, o, os, t, ts, type]) => ({
    id: lid,
    origin_id: o,
    origin_slot: os,
    target_id: t,
    target_slot: ts,
    type,
  }));
  return {
    id,
    version: 1,
    name: `graph ${id.slice(0, 4)}`,
    inputNode: { id: -10, bounding: [0, 0, 100, 60] },
    outputNode: { id: -20, bounding: [600, 0, 100, 60] },
    inputs: inputs.map(([name, type], k) => ({ id: `in-${k}`, name, type, linkIds: [] })),
    outputs: outputs.map(([name, type], k) => ({ id: `out-${k}`, name, type, linkIds: [] })),
    widgets: [],
    nodes,
    links: linkObjects,
  };
}

/** An image subgraph: one ImageBlur (inner id 3) between the image input and the image output. */
const blurGraph = (id: string) =>
  definition(
    id,
    [
      node(3, 'ImageBlur', {
        inputs: [socket('image', 'IMAGE', 1), socket('blur_radius', 'INT', 3, true)],
        outputs: [output('IMAGE', 'IMAGE', [2])],
        widgets: [3, 1.5],
      }),
    ],
    [
      [1, -10, 0, 3, 0, 'IMAGE'],
      [2, 3, 0, -20, 0, 'IMAGE'],
      [3, -10, 1, 3, 1, 'INT'],
    ],
    [
      ['image', 'IMAGE'],
      ['radius', 'INT'],
    ],
    [['IMAGE', 'IMAGE']],
  );

/** LoadImage(1) -> instance(5) -> SaveImage(2) at the root. */
function rootWith(instance: EditorNode, subgraphs: Record<string, unknown>[]): EditorWorkflow {
  return workflow(
    [
      node(1, 'LoadImage', { outputs: [output('IMAGE', 'IMAGE', [1])], widgets: ['in.png', 'image'] }),
      instance,
      node(2, 'SaveImage', { inputs: [socket('images', 'IMAGE', 2)], widgets: ['out'] }),
    ],
    [
      [1, 1, 0, 5, 0, 'IMAGE'],
      [2, 5, 0, 2, 0, 'IMAGE'],
    ],
    { definitions: { subgraphs } },
  );
}

const instance = (type: string, options: Parameters<typeof node>[2] = {}) =>
  node(5, type, {
    inputs: [socket('image', 'IMAGE', 1)],
    outputs: [output('IMAGE', 'IMAGE', [2])],
    ...options,
  });

describe('converting subgraphs', () => {
  it('expands nested instances into colon-path ids linked across both boundaries', () => {
    const outer = definition(
      OUTER,
      [
        node(7, INNER, { inputs: [socket('image', 'IMAGE', 1)], outputs: [output('IMAGE', 'IMAGE', [2])] }),
        node(8, 'ImageInvert', {
          inputs: [socket('image', 'IMAGE', 2)],
          outputs: [output('IMAGE', 'IMAGE', [3])],
        }),
      ],
      [
        [1, -10, 0, 7, 0, 'IMAGE'],
        [2, 7, 0, 8, 0, 'IMAGE'],
        [3, 8, 0, -20, 0, 'IMAGE'],
      ],
      [['image', 'IMAGE']],
      [['IMAGE', 'IMAGE']],
    );
    const { prompt } = convertEditorToApi(rootWith(instance(OUTER), [outer, blurGraph(INNER)]), testDefs());
    assert.deepStrictEqual(Object.keys(prompt).sort(), ['1', '2', '5:7:3', '5:8']);
    assert.deepStrictEqual(prompt['5:7:3'].inputs, { image: ['1', 0], blur_radius: 3, sigma: 1.5 });
    assert.deepStrictEqual(prompt['5:8'].inputs.image, ['5:7:3', 0]);
    assert.deepStrictEqual(prompt['2'].inputs.images, ['5:8', 0]);
  });

  it('leaves out the contents of a muted instance, and its consumers lose the input', () => {
    const { prompt } = convertEditorToApi(
      rootWith(instance(INNER, { mode: 2 }), [blurGraph(INNER)]),
      testDefs(),
    );
    assert.deepStrictEqual(Object.keys(prompt).sort(), ['1', '2']);
    assert.deepStrictEqual(prompt['2'].inputs, { filename_prefix: 'out' });
  });

  it('rewires the consumers of a bypassed instance to its matching input', () => {
    const { prompt } = convertEditorToApi(
      rootWith(instance(INNER, { mode: 4 }), [blurGraph(INNER)]),
      testDefs(),
    );
    assert.deepStrictEqual(Object.keys(prompt).sort(), ['1', '2']);
    assert.deepStrictEqual(prompt['2'].inputs.images, ['1', 0]);
  });

  it('follows a subgraph input wired straight to a subgraph output', () => {
    const passthrough = definition(
      INNER,
      [],
      [[1, -10, 0, -20, 0, 'IMAGE']],
      [['image', 'IMAGE']],
      [['out', 'IMAGE']],
    );
    const { prompt } = convertEditorToApi(rootWith(instance(INNER), [passthrough]), testDefs());
    assert.deepStrictEqual(prompt['2'].inputs.images, ['1', 0]);
  });

  it('passes a promoted widget value to the inner widget when the instance input is unconnected', () => {
    const wf = rootWith(instance(INNER, { widgets: [11] }), [blurGraph(INNER)]);
    assert.equal(convertEditorToApi(wf, testDefs()).prompt['5:3'].inputs.blur_radius, 11);
  });

  it('skips the control value older files saved after a promoted seed-like widget', () => {
    const seeded = definition(
      INNER,
      [
        node(3, 'PrimitiveInt', {
          inputs: [socket('value', 'INT', 1, true)],
          outputs: [output('INT', 'INT')],
          widgets: [1, 'fixed'],
        }),
      ],
      [[1, -10, 0, 3, 0, 'INT']],
      [['value', 'INT']],
      [],
    );
    const wf = rootWith(node(5, INNER, { widgets: [77, 'randomize'] }), [seeded]);
    assert.equal(convertEditorToApi(wf, testDefs()).prompt['5:3'].inputs.value, 77);
  });

  it('prefers a connected instance input over the promoted widget value', () => {
    const wf = rootWith(instance(INNER, { widgets: [11] }), [blurGraph(INNER)]);
    wf.nodes.push(node(6, 'PrimitiveInt', { outputs: [output('INT', 'INT', [3])], widgets: [21, 'fixed'] }));
    wf.nodes[1].inputs!.push(socket('radius', 'INT', 3, true));
    wf.links.push([3, 6, 0, 5, 1, 'INT']);
    assert.deepStrictEqual(convertEditorToApi(wf, testDefs()).prompt['5:3'].inputs.blur_radius, ['6', 0]);
  });

  it('applies proxyWidgets values to the inner node widgets they name', () => {
    const proxied = instance(INNER, { widgets: [2.5] });
    proxied.properties = { proxyWidgets: [['3', 'sigma']] };
    assert.equal(
      convertEditorToApi(rootWith(proxied, [blurGraph(INNER)]), testDefs()).prompt['5:3'].inputs.sigma,
      2.5,
    );
  });

  it('keeps the inner values, with a warning, when promoted values do not match the proxy list', () => {
    const proxied = instance(INNER, { widgets: [2.5, 9] });
    proxied.properties = { proxyWidgets: [['3', 'sigma']] };
    const { prompt, warnings } = convertEditorToApi(rootWith(proxied, [blurGraph(INNER)]), testDefs());
    assert.equal(prompt['5:3'].inputs.sigma, 1.5);
    assert.equal(warnings.length, 1);
  });
});
