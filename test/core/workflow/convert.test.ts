import assert from 'node:assert/strict';
import { convertEditorToApi } from '../../../src/core/workflow/convert';
import { VIRTUAL_NODE_TYPES } from '../../../src/core/workflow/convertFlatten';
import { isLink } from '../../../src/core/workflow/graph';
import type { ApiPrompt } from '../../../src/core/workflow/types';
import { fixtureNames, readFixture, testDefs } from './convertTestKit';

describe('convertEditorToApi on hand-written editor workflows', () => {
  it('finds the fixtures', () => {
    assert.ok(fixtureNames().length >= 5, `only ${fixtureNames().length} fixtures found`);
  });

  for (const name of fixtureNames()) {
    it(`converts ${name} to its expected API prompt`, () => {
      const { prompt } = convertEditorToApi(readFixture(name), testDefs(), { fileName: `${name}.json` });
      assert.deepStrictEqual(prompt, readFixture<ApiPrompt>(name, true));
    });

    it(`leaves no frontend-only node and no dangling link in ${name}`, () => {
      const { prompt } = convertEditorToApi(readFixture(name), testDefs());
      for (const [id, apiNode] of Object.entries(prompt)) {
        assert.ok(!VIRTUAL_NODE_TYPES.has(apiNode.class_type), `${id} is a ${apiNode.class_type}`);
        assert.ok(testDefs()[apiNode.class_type], `${id} has no definition`);
        for (const value of Object.values(apiNode.inputs)) {
          if (isLink(value)) assert.ok(prompt[value[0]], `${id} links to missing ${value[0]}`);
        }
      }
    });
  }

  it('hands back the original workflow, unmodified, for extra_pnginfo', () => {
    const workflow = readFixture('subgraphPromptPair');
    const before = structuredClone(workflow);
    const { extraPngInfo } = convertEditorToApi(workflow, testDefs());
    assert.equal(extraPngInfo.workflow, workflow);
    assert.deepStrictEqual(workflow, before);
  });

  it('warns about the input a muted node takes away', () => {
    const { warnings } = convertEditorToApi(readFixture('bypassMuteV1'), testDefs());
    assert.ok(warnings.some((w) => w.startsWith('Node 11 (PreviewImage)') && w.includes('"images"')));
  });

  it('warns about the input a bypassed node cannot pass on', () => {
    const { warnings } = convertEditorToApi(readFixture('bypassMuteV1'), testDefs());
    assert.ok(warnings.some((w) => w.startsWith('Node 13 (LatentUpscaleBy)') && w.includes('"samples"')));
  });

  it('warns about a link that its target node does not list on any input', () => {
    const workflow = readFixture('txt2imgClassic');
    workflow.nodes.find((n) => n.id === 9)!.inputs![0].link = null;
    const { prompt, warnings } = convertEditorToApi(workflow, testDefs());
    assert.equal('images' in prompt['9'].inputs, false);
    assert.ok(warnings.some((w) => w.startsWith('Link 9 ')));
  });

  it('gives no warnings for a plain workflow', () => {
    assert.deepStrictEqual(convertEditorToApi(readFixture('txt2imgClassic'), testDefs()).warnings, []);
  });
});
