import assert from 'node:assert/strict';
import fc from 'fast-check';
import { budgetedSuggester } from '../../../src/core/workflow/suggest';
import { scanStructure } from '../../../src/core/workflow/validateStructure';
import { listProblems, validatePrompt } from '../../../src/core/workflow/validate';
import { defs, emptyImage, node, saveImage } from './validateFixtures';

describe('validatePrompt: structure and missing classes', () => {
  it("reports an unknown class as missing_node_type with the server's message and extra_info", () => {
    const result = validatePrompt({ '1': node('FancyUpscaler', {}, 'Upscale!'), '2': saveImage('1') }, defs);
    assert.equal(result.ok, false);
    assert.deepEqual(result.error, {
      type: 'missing_node_type',
      message: "Node 'Upscale!' not found. The custom node may not be installed.",
      details: "Node ID '#1'",
      extra_info: {
        node_id: '1',
        class_type: 'FancyUpscaler',
        node_title: 'Upscale!',
        missing_nodes: [{ node_id: '1', class_type: 'FancyUpscaler', node_title: 'Upscale!' }],
      },
    });
  });

  it('names every unknown class in details and missing_nodes, not just the first', () => {
    const prompt = { '1': node('A1'), '2': node('B2'), '3': emptyImage(), '4': saveImage('3') };
    const error = validatePrompt(prompt, defs).error!;
    assert.equal(error.details, "Node ID '#1', Node ID '#2'");
    assert.deepEqual(
      (error.extra_info.missing_nodes as { class_type: string }[]).map((m) => m.class_type),
      ['A1', 'B2'],
    );
  });

  it('reports a node without class_type as missing_node_type with a null class', () => {
    const error = validatePrompt(
      { '7': { inputs: {} }, '8': emptyImage(), '9': saveImage('8') },
      defs,
    ).error!;
    assert.equal(error.type, 'missing_node_type');
    assert.equal(
      error.message,
      "Node 'ID #7' has no class_type. The workflow may be corrupted or a custom node is missing.",
    );
    assert.equal(error.extra_info.class_type, null);
  });

  it('suggests the installed class closest in spelling', () => {
    const error = validatePrompt({ '1': node('ImageInvret'), '2': saveImage('1') }, defs).error!;
    assert.equal(error.extra_info.suggestion, 'ImageInvert');
  });

  it('suggests the class whose display name was used as a class name', () => {
    const error = validatePrompt({ '1': node('Load Image'), '2': saveImage('1') }, defs).error!;
    assert.equal(error.extra_info.suggestion, 'LoadImage');
  });

  it('does not mistake inherited object properties for installed classes', () => {
    const error = validatePrompt({ '1': node('constructor'), '2': node('toString') }, defs).error!;
    assert.equal(error.type, 'missing_node_type');
    assert.equal((error.extra_info.missing_nodes as unknown[]).length, 2);
  });

  it('still reports node errors of known nodes next to a missing class', () => {
    const prompt = {
      '1': emptyImage({ width: 0 }),
      '2': node('Mystery', { image: ['1', 0] }),
      '3': saveImage('2'),
    };
    const result = validatePrompt(prompt, defs);
    assert.equal(result.error?.type, 'missing_node_type');
    assert.deepEqual(Object.keys(result.node_errors), ['1']);
    assert.deepEqual(result.node_errors['1'].dependent_outputs, ['3']);
  });

  it('reports malformed nodes as invalid_prompt, one line each', () => {
    const result = validatePrompt(
      { '1': 'not a node', '2': { class_type: 'SaveImage' }, '3': emptyImage() },
      defs,
    );
    assert.equal(result.error?.type, 'invalid_prompt');
    assert.equal(result.error?.details, `Node ID '#1' is not an object\nNode ID '#2' has no "inputs" object`);
    assert.equal(result.prompt, undefined);
    assert.deepEqual(
      listProblems(result).map((p) => p.nodeId),
      ['1', '2'],
    );
  });

  it('answers prompt_no_outputs for an empty prompt', () => {
    assert.equal(validatePrompt({}, defs).error?.type, 'prompt_no_outputs');
  });
});

describe('validatePrompt with malformed definitions', () => {
  it('never throws and never reaches its internal guard, whatever the definitions hold', () => {
    const spec = fc.oneof(
      fc.jsonValue(),
      fc.tuple(
        fc.constantFrom('INT', 'FLOAT', 'COMBO', 'IMAGE', '*', 'COMFY_AUTOGROW_V3', 'COMFY_DYNAMICCOMBO_V3'),
        fc.dictionary(
          fc.constantFrom('min', 'max', 'options', 'template', 'inputs', 'remote'),
          fc.jsonValue(),
        ),
      ),
    );
    const def = fc.oneof(
      fc.jsonValue(),
      fc.record({
        input: fc.oneof(
          fc.jsonValue(),
          fc.record({ required: fc.dictionary(fc.constantFrom('a', 'b'), spec) }),
        ),
        output: fc.oneof(fc.jsonValue(), fc.array(fc.oneof(fc.constantFrom('IMAGE', '*'), fc.jsonValue()))),
        output_node: fc.oneof(fc.boolean(), fc.jsonValue()),
      }),
    );
    const ids = fc.constantFrom('1', '2', '3');
    const link = fc.tuple(ids, fc.integer({ min: -1, max: 2 }));
    const prompt = fc.dictionary(
      ids,
      fc.record({
        class_type: fc.constantFrom('A', 'B', 'constructor'),
        inputs: fc.dictionary(fc.constantFrom('a', 'b', 'a.x'), fc.oneof(fc.jsonValue(), link)),
      }),
    );
    const anyDefs = fc.oneof(fc.dictionary(fc.constantFrom('A', 'B', 'constructor'), def), fc.jsonValue());
    fc.assert(
      fc.property(prompt, anyDefs, (p, d) => {
        const result = validatePrompt(p, d as never);
        return typeof result.ok === 'boolean' && result.error?.type !== 'exception_during_validation';
      }),
      { numRuns: 300 },
    );
  });
});

describe('scanStructure', () => {
  it('keeps every node in prompt order with its definition', () => {
    const structure = scanStructure({ b: emptyImage(), a: saveImage('b') }, defs, budgetedSuggester());
    assert.deepEqual([...structure.nodes.keys()], ['b', 'a']);
    assert.equal(structure.nodes.get('a')?.def?.name, 'SaveImage');
    assert.equal(structure.error, undefined);
  });
});
