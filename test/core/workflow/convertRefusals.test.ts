import assert from 'node:assert/strict';
import { convertEditorToApi } from '../../../src/core/workflow/convert';
import type { EditorWorkflow } from '../../../src/core/workflow/types';
import { node, output, readFixture, refusal, socket, testDefs, workflow } from './convertTestKit';

const file = 'broken.json';
const convert = (wf: EditorWorkflow) => () => convertEditorToApi(wf, testDefs(), { fileName: file });

/** The classic fixture with one node replaced. */
function classicWith(id: number, patch: (n: EditorWorkflow['nodes'][number]) => void): EditorWorkflow {
  const wf = readFixture('txt2imgClassic');
  patch(wf.nodes.find((n) => n.id === id)!);
  return wf;
}

describe('convertEditorToApi refusals', () => {
  it('refuses a node class the server does not have, naming the node', () => {
    const wf = classicWith(8, (n) => {
      n.type = 'FancyVAEDecode';
      n.title = 'Decode';
    });
    assert.deepStrictEqual(refusal(convert(wf)), {
      file,
      nodeId: '8',
      classType: 'FancyVAEDecode',
      title: 'Decode',
      inputName: undefined,
    });
  });

  it('refuses a widget count that does not match the definition', () => {
    // A KSampler saved without its control value: every later value would shift by one.
    const wf = classicWith(3, (n) => {
      n.widgets_values = [156680208700286, 20, 8, 'euler', 'normal', 1];
    });
    assert.deepStrictEqual(refusal(convert(wf)), {
      file,
      nodeId: '3',
      classType: 'KSampler',
      title: undefined,
      inputName: undefined,
    });
  });

  it('refuses a node type that names a member of every JavaScript object', () => {
    const wf = classicWith(8, (n) => {
      n.type = 'constructor';
    });
    assert.equal(refusal(convert(wf)).classType, 'constructor');
  });

  it('refuses a node whose inputs are not a list of sockets', () => {
    const wf = classicWith(8, (n) => {
      (n as { inputs: unknown }).inputs = { samples: 7 };
    });
    assert.equal(refusal(convert(wf)).nodeId, '8');
  });

  it('refuses a legacy group node', () => {
    const wf = classicWith(8, (n) => {
      n.type = 'workflow>Decode and save';
    });
    assert.equal(refusal(convert(wf)).classType, 'workflow>Decode and save');
  });

  it('refuses an input whose link is not in the links list, naming the input', () => {
    const wf = classicWith(8, (n) => {
      n.inputs![1].link = 99;
    });
    const location = refusal(convert(wf));
    assert.equal(location.nodeId, '8');
    assert.equal(location.inputName, 'vae');
  });

  it('refuses a link that comes from a node that does not exist', () => {
    const wf = readFixture('txt2imgClassic');
    wf.links[7] = [8, 40, 2, 8, 1, 'VAE'];
    const location = refusal(convert(wf));
    assert.equal(location.nodeId, '8');
    assert.equal(location.inputName, 'vae');
  });

  it('refuses a malformed link entry, naming the file', () => {
    const wf = readFixture('txt2imgClassic');
    (wf.links as unknown[])[2] = [3, 4, 1];
    assert.deepStrictEqual(refusal(convert(wf)), { file, nodeId: undefined });
  });

  it('refuses two nodes with the same id', () => {
    const wf = readFixture('txt2imgClassic');
    wf.nodes[1].id = 7;
    assert.equal(refusal(convert(wf)).nodeId, '7');
  });

  it('refuses reroutes that loop back on themselves', () => {
    const wf = workflow(
      [
        node(1, 'Reroute', { inputs: [socket('', '*', 2)], outputs: [output('', 'IMAGE', [1, 3])] }),
        node(2, 'Reroute', { inputs: [socket('', '*', 1)], outputs: [output('', 'IMAGE', [2])] }),
        node(3, 'PreviewImage', { inputs: [socket('images', 'IMAGE', 3)], widgets: [] }),
      ],
      [
        [1, 1, 0, 2, 0, '*'],
        [2, 2, 0, 1, 0, '*'],
        [3, 1, 0, 3, 0, 'IMAGE'],
      ],
    );
    assert.equal(refusal(convert(wf)).nodeId, '3');
  });

  it('refuses a node with dynamic inputs the definition cannot lay out', () => {
    const wf = workflow([node(1, 'BatchImagesNode', { widgets: [] })], []);
    assert.equal(refusal(convert(wf)).inputName, 'images');
  });

  it('refuses a subgraph that contains itself', () => {
    const id = '0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a';
    const wf = workflow([node(1, id)], [], {
      definitions: {
        subgraphs: [{ id, name: 'Loop', nodes: [node(1, id)], links: [], inputs: [], outputs: [] }],
      },
    });
    assert.equal(refusal(convert(wf)).nodeId, '1:1');
  });

  it('refuses a document without a nodes array', () => {
    assert.deepStrictEqual(refusal(convert({ links: [] } as unknown as EditorWorkflow)), { file });
  });

  it('converts a muted node of an unknown class without refusing', () => {
    const wf = classicWith(11, (n) => {
      n.type = 'rgthree.Label';
      n.mode = 2;
    });
    const { prompt } = convertEditorToApi(wf, testDefs());
    assert.ok(prompt['3']);
    assert.equal(prompt['11'], undefined, 'the muted node is left out');
  });
});
