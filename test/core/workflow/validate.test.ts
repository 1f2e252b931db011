import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatProblem, listProblems, validatePrompt } from '../../../src/core/workflow/validate';
import type { ValidationResult } from '../../../src/core/workflow/types';
import {
  defs,
  emptyImage,
  node,
  recordedPromptAnswers,
  recordedWorkflow,
  saveImage,
} from './validateFixtures';

/** The server's 400 body shape: what we compare with the recordings. */
function body(result: ValidationResult) {
  return { error: result.error, node_errors: result.node_errors };
}

/** Node id -> sorted "type:input" strings, the part of a report that must agree with the server. */
function summary(nodeErrors: ValidationResult['node_errors']): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(nodeErrors).map(([id, e]) => [
      id,
      e.errors.map((x) => `${x.type}:${String(x.extra_info.input_name)}`).sort(),
    ]),
  );
}

/** True when `r` has the documented shape, whatever the input was. */
function wellFormed(r: ValidationResult): boolean {
  const itemOk = (e: unknown) =>
    typeof e === 'object' && e !== null && typeof (e as { type: unknown }).type === 'string';
  return (
    typeof r.ok === 'boolean' &&
    Array.isArray(r.outputs) &&
    typeof r.node_errors === 'object' &&
    (r.error === undefined || itemOk(r.error)) &&
    r.ok === (r.error === undefined) &&
    Object.values(r.node_errors).every((n) => Array.isArray(n.dependent_outputs) && n.errors.every(itemOk))
  );
}

describe('validatePrompt: agreement with the recorded ComfyUI 0.8.0 server', () => {
  const answers = recordedPromptAnswers();

  it('finds the four recorded 400 answers to compare with', () => {
    assert.deepEqual(
      answers.map((a) => a.status),
      [400, 400, 400, 400],
    );
  });

  for (const name of [
    '06a_validation_missing_input',
    '06c_validation_bad_value',
    '06d_validation_no_outputs',
  ]) {
    it(`answers ${name} with exactly the server's 400 body`, () => {
      const prompt = recordedWorkflow(name);
      const recorded = answers.find((a) => JSON.stringify(a.prompt) === JSON.stringify(prompt));
      assert.ok(recorded, 'no recording of this workflow');
      assert.deepEqual(body(validatePrompt(prompt, defs)), recorded.response);
    });
  }

  it('reports the unknown class of 06b at the top level with the same node id and no node errors', () => {
    const result = validatePrompt(recordedWorkflow('06b_validation_unknown_class'), defs);
    const recorded = answers[1].response as ValidationResult;
    // 0.8.0 named this invalid_prompt; newer servers say missing_node_type, with the same details.
    assert.equal(result.error?.type, 'missing_node_type');
    assert.equal(result.error?.details, recorded.error?.details);
    assert.deepEqual(result.node_errors, recorded.node_errors);
    assert.deepEqual(result.error?.extra_info, {
      node_id: '2',
      class_type: 'NoSuchNodeType',
      node_title: 'Unknown class_type',
      missing_nodes: [{ node_id: '2', class_type: 'NoSuchNodeType', node_title: 'Unknown class_type' }],
    });
  });

  it('agrees with every recorded answer on error types, node ids and input names', () => {
    for (const a of answers) {
      const recorded = a.response as ValidationResult;
      assert.deepEqual(summary(validatePrompt(a.prompt, defs).node_errors), summary(recorded.node_errors));
    }
  });

  it('accepts the workflows the server ran', () => {
    for (const name of [
      '01_invert',
      '02_branching',
      '03_slow',
      '05_runtime_error',
      '07_loadimage_upload',
      '08_queued',
    ]) {
      const result = validatePrompt(recordedWorkflow(name), defs);
      assert.deepEqual([result.ok, result.node_errors], [true, {}], name);
    }
  });
});

describe('validatePrompt: the result', () => {
  it('reports a class_type that is an object String() cannot print as a missing node type', () => {
    // Found by the property test below: {"toString": []} makes String(value) throw.
    const result = validatePrompt({ '1': { class_type: { toString: [] }, inputs: {} } }, defs);
    assert.equal(result.error?.type, 'missing_node_type');
    assert.match(result.error?.message ?? '', /Node '\{'toString': \[\]\}' not found/);
  });

  it('is ok with node errors when another output validated, as the server answers 200', () => {
    const result = validatePrompt(
      { '1': emptyImage(), '2': saveImage('1'), '3': node('ImageInvert'), '4': saveImage('3') },
      defs,
    );
    assert.equal(result.ok, true);
    assert.equal(result.error, undefined);
    assert.deepEqual(result.outputs, ['2']);
    assert.deepEqual(Object.keys(result.node_errors), ['3']);
  });

  it("lists the failed outputs' own errors in the top-level details", () => {
    const result = validatePrompt(
      { '1': emptyImage(), '2': node('SaveImage', { filename_prefix: 'x' }) },
      defs,
    );
    assert.equal(result.error?.details, 'Required input is missing: images');
  });

  it('validates only the partial targets and their dependencies', () => {
    const prompt = { '1': emptyImage(), '2': saveImage('1'), '3': node('ImageInvert'), '4': saveImage('3') };
    const result = validatePrompt(prompt, defs, { partialTargets: ['2'] });
    assert.deepEqual([result.ok, result.outputs, result.node_errors], [true, ['2'], {}]);
  });

  it('answers prompt_no_outputs when no partial target is an output node', () => {
    const prompt = { '1': emptyImage(), '2': saveImage('1') };
    assert.equal(validatePrompt(prompt, defs, { partialTargets: ['1'] }).error?.type, 'prompt_no_outputs');
  });

  it('returns a copy of the prompt with values coerced and __value__ unwrapped, leaving the input alone', () => {
    const prompt = {
      '1': emptyImage({ width: '64', height: 32.9 }),
      '2': node('SaveImage', { images: ['1', 0], filename_prefix: { __value__: 12 } }),
    };
    const result = validatePrompt(prompt, defs);
    assert.equal(result.ok, true);
    assert.equal(result.prompt?.['1'].inputs.width, 64);
    assert.equal(result.prompt?.['1'].inputs.height, 32);
    assert.equal(result.prompt?.['2'].inputs.filename_prefix, '12');
    assert.equal(prompt['1'].inputs.width, '64');
  });

  it('reports problems of different kinds in one answer', () => {
    const prompt = {
      '1': emptyImage({ width: 0 }),
      '2': node('ImageInvert', { image: ['1', 0] }),
      '3': node('ImageBlend', {
        image1: ['2', 0],
        image2: ['9', 0],
        blend_factor: 'x',
        blend_mode: 'multiplyy',
      }),
      '4': saveImage('3'),
    };
    assert.deepEqual(summary(validatePrompt(prompt, defs).node_errors), {
      '1': ['value_smaller_than_min:width'],
      '3': ['bad_linked_input:image2', 'invalid_input_type:blend_factor', 'value_not_in_list:blend_mode'],
    });
  });

  it('answers invalid_prompt for a prompt that is not an object', () => {
    for (const bad of [null, [], 'prompt', 42]) {
      assert.equal(validatePrompt(bad, defs).error?.type, 'invalid_prompt');
    }
  });

  it('treats node ids such as "__proto__" and "constructor" as ordinary ids', () => {
    const prompt = JSON.parse(
      '{"__proto__": {"class_type": "ImageInvert", "inputs": {}}, "constructor": {"class_type": "SaveImage", "inputs": {"images": ["__proto__", 0], "filename_prefix": "x"}}}',
    );
    const result = validatePrompt(prompt, defs);
    assert.deepEqual(Object.keys(result.node_errors), ['__proto__']);
    assert.deepEqual(result.node_errors['__proto__'].dependent_outputs, ['constructor']);
  });

  it('never throws and always answers in shape, whatever JSON it is given', () => {
    const ids = fc.constantFrom('1', '2', '3', '__proto__');
    // Links among a few ids, so that cycles, dangling links and bad slots come up often.
    const inputValue = fc.oneof(fc.tuple(ids, fc.integer({ min: -1, max: 3 })), fc.jsonValue());
    const nodeLike = fc.record({
      class_type: fc.oneof(
        fc.constantFrom(
          'EmptyImage',
          'ImageInvert',
          'SaveImage',
          'ImageScale',
          'BatchImagesNode',
          'constructor',
        ),
        fc.jsonValue(),
      ),
      inputs: fc.oneof(
        fc.dictionary(
          fc.constantFrom('image', 'images', 'width', 'upscale_method', 'images.image0', '__proto__'),
          inputValue,
        ),
        fc.jsonValue(),
      ),
    });
    const graphs = fc.dictionary(ids, nodeLike);
    const prompts = fc.oneof(
      fc.jsonValue(),
      graphs,
      fc.dictionary(fc.string(), fc.oneof(nodeLike, fc.jsonValue())),
    );
    fc.assert(
      fc.property(prompts, (p) => {
        const result = validatePrompt(p, defs);
        // The internal guard answers exception_during_validation; reaching it would mean a bug.
        return wellFormed(result) && result.error?.type !== 'exception_during_validation';
      }),
      { numRuns: 1000 },
    );
  });
});

describe('listProblems and formatProblem', () => {
  it('flattens node errors with their node, class, title, input and suggestion', () => {
    const prompt = {
      '1': emptyImage(),
      '2': node(
        'ImageScale',
        { image: ['1', 0], upscale_method: 'bicubik', width: 8, height: 8, crop: 'disabled' },
        'Shrink',
      ),
      '3': saveImage('2'),
    };
    const [problem] = listProblems(validatePrompt(prompt, defs), prompt);
    assert.deepEqual(
      { ...problem, details: undefined },
      {
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: undefined,
        nodeId: '2',
        classType: 'ImageScale',
        title: 'Shrink',
        inputName: 'upscale_method',
        suggestion: 'bicubic',
      },
    );
  });

  it('writes one line naming file, node and input, without repeating the input name', () => {
    const prompt = { '1': emptyImage({ width: 0 }), '2': saveImage('1') };
    prompt['1']._meta = { title: 'Canvas' };
    const [problem] = listProblems(validatePrompt(prompt, defs), prompt);
    assert.equal(
      formatProblem(problem, 'flow.json'),
      'flow.json: node 1 "Canvas" (EmptyImage), input \'width\': Value 0 smaller than min of 1',
    );
  });

  it('adds the suggestion to the line', () => {
    const line = formatProblem({
      type: 'value_not_in_list',
      message: 'Value not in list',
      details: "m: 'bicubik' not in ['bicubic']",
      nodeId: '2',
      classType: 'ImageScale',
      inputName: 'm',
      suggestion: 'bicubic',
    });
    assert.equal(
      line,
      "node 2 (ImageScale), input 'm': Value not in list: 'bicubik' not in ['bicubic']; did you mean 'bicubic'?",
    );
  });

  it('lists every missing class, one problem each', () => {
    const prompt = {
      '1': node('NoSuchThing'),
      '2': node('SaveImagee', { images: ['1', 0] }),
      '3': { inputs: {} },
    };
    const problems = listProblems(validatePrompt(prompt, defs), prompt);
    assert.deepEqual(
      problems.map((p) => [p.type, p.nodeId, p.classType, p.suggestion]),
      [
        ['missing_node_type', '1', 'NoSuchThing', undefined],
        ['missing_node_type', '2', 'SaveImagee', 'SaveImage'],
        ['missing_node_type', '3', undefined, undefined],
      ],
    );
  });

  it('is empty for a valid prompt', () => {
    const prompt = { '1': emptyImage(), '2': saveImage('1') };
    assert.deepEqual(listProblems(validatePrompt(prompt, defs), prompt), []);
  });

  it('reports a top-level error that has no node errors behind it', () => {
    const problems = listProblems(validatePrompt({ '1': emptyImage() }, defs));
    assert.deepEqual(problems, [
      { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '' },
    ]);
  });
});
