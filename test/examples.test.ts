/**
 * Keeps examples/ honest: every API example must pass the validator against the engine's definitions,
 * every editor example must be wired the way ComfyUI's frontend saves a graph and convert to a valid
 * prompt, and each API example must run once the engine implements its classes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decode } from 'fast-png';
import { convertEditorToApi } from '../src/core/workflow/convert';
import { independentBranches, outputNodes, topologicalOrder } from '../src/core/workflow/graph';
import { applyOverrides, parseOverride, parseSweep, sweepCombinations } from '../src/core/workflow/overrides';
import type {
  ApiPrompt,
  EditorLinkArray,
  EditorLinkObject,
  EditorNode,
  EditorWorkflow,
  InputSpec,
  NodeDefs,
} from '../src/core/workflow/types';
import { validatePrompt } from '../src/core/workflow/validate';
import { testDirs, type TestDirs } from './fakes/testDirs';
import { runOnEngine } from './core/engine/conformanceHarness';

const root = resolve(__dirname, '..');
const examples = join(root, 'examples');
const apiFiles = readdirSync(join(examples, 'api')).filter((f) => f.endsWith('.json'));
const editorFiles = readdirSync(join(examples, 'editor')).filter((f) => f.endsWith('.json'));
const inputImages = readdirSync(join(examples, 'input')).filter((f) => f.endsWith('.png'));
const defs = withInputImages(readJson<NodeDefs>(join(root, 'src/core/engine/nodeDefinitions.json')));
const VIRTUAL = new Set(['Reroute', 'PrimitiveNode', 'Note', 'MarkdownNote']);

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The definitions as the engine serves them for examples/input: LoadImage's choices are its images. */
function withInputImages(raw: NodeDefs): NodeDefs {
  for (const cls of ['LoadImage', 'LoadImageMask'])
    raw[cls].input.required!.image[0] = [...inputImages].sort();
  return raw;
}

/** The declared type of an input (`COMBO` for both COMBO spellings) and its COMBO choices. */
function specInfo(spec: InputSpec): { type: string; choices?: unknown[] } {
  const [head, options] = spec;
  if (Array.isArray(head)) return { type: 'COMBO', choices: head };
  return { type: head, choices: head === 'COMBO' ? options?.options : undefined };
}

function valueProblems(where: string, value: unknown, spec: InputSpec): string[] {
  const { type, choices } = specInfo(spec);
  const options = spec[1] ?? {};
  if (type === 'COMBO') {
    return choices && !choices.includes(value) ? [`${where}: ${String(value)} not in list`] : [];
  }
  const expected = { INT: 'number', FLOAT: 'number', STRING: 'string', BOOLEAN: 'boolean' }[type];
  if (expected && typeof value !== expected) return [`${where}: ${JSON.stringify(value)} is not ${type}`];
  if (type === 'INT' && !Number.isInteger(value)) return [`${where}: ${String(value)} is not an integer`];
  if (typeof value !== 'number') return [];
  const low = options.min !== undefined && value < options.min;
  const high = options.max !== undefined && value > options.max;
  return low || high ? [`${where}: ${value} outside ${options.min}..${options.max}`] : [];
}

/** What the validator finds wrong with `prompt`: the top-level error and the node errors, if any. */
function validationProblems(prompt: ApiPrompt): unknown {
  const result = validatePrompt(prompt, defs);
  return { ok: result.ok, error: result.error, node_errors: result.node_errors };
}

const VALID = { ok: true, error: undefined, node_errors: {} };

function convert(file: string): ApiPrompt {
  return convertEditorToApi(readJson(join(examples, 'editor', file)), defs, { fileName: file }).prompt;
}

/** The widget positions the frontend saves for a class, in definition order (protocol §5.3). */
function widgetSlots(cls: string): { name: string; spec?: InputSpec }[] {
  const def = defs[cls];
  const order = [...(def.input_order?.required ?? []), ...(def.input_order?.optional ?? [])];
  const slots: { name: string; spec?: InputSpec }[] = [];
  let upload = false;
  for (const name of order) {
    const spec = def.input.required?.[name] ?? def.input.optional?.[name];
    if (!spec || spec[1]?.forceInput) continue;
    const { type } = specInfo(spec);
    if (!['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO'].includes(type)) continue;
    slots.push({ name, spec });
    const control = spec[1]?.control_after_generate;
    if (type === 'INT' && (control || name === 'seed' || name === 'noise_seed'))
      slots.push({ name: 'control' });
    if (type === 'COMBO' && control) slots.push({ name: 'control' }, { name: 'filter' });
    upload ||= spec[1]?.image_upload === true;
  }
  if (upload) slots.push({ name: 'upload' });
  return slots;
}

function editorLinks(w: EditorWorkflow): EditorLinkObject[] {
  return w.links.map((l) => {
    if (!Array.isArray(l)) return l;
    const [id, origin_id, origin_slot, target_id, target_slot, type] = l as EditorLinkArray;
    return { id, origin_id, origin_slot, target_id, target_slot, type };
  });
}

/** Wiring and widget problems of an editor workflow, one line each. */
function editorProblems(w: EditorWorkflow): string[] {
  const problems: string[] = [];
  const nodes = new Map<unknown, EditorNode>(w.nodes.map((n) => [n.id, n]));
  const links = editorLinks(w);
  for (const l of links) {
    const out = nodes.get(l.origin_id)?.outputs?.[l.origin_slot];
    const input = nodes.get(l.target_id)?.inputs?.[l.target_slot];
    if (!out?.links?.includes(l.id)) problems.push(`link ${l.id}: origin slot does not list it`);
    if (input?.link !== l.id) problems.push(`link ${l.id}: target slot does not point back`);
    if (out && out.type !== l.type)
      problems.push(`link ${l.id}: type ${String(l.type)} but origin gives ${String(out.type)}`);
  }
  const ids = new Set(links.map((l) => l.id));
  for (const n of w.nodes) {
    for (const i of n.inputs ?? [])
      if (i.link !== null && !ids.has(i.link)) problems.push(`#${n.id}: dangling input`);
    if (VIRTUAL.has(n.type)) continue;
    if (!defs[n.type]) {
      problems.push(`#${n.id}: unknown class ${n.type}`);
      continue;
    }
    const slots = widgetSlots(n.type);
    const values = (n.widgets_values ?? []) as unknown[];
    if (values.length !== slots.length)
      problems.push(`#${n.id}: ${values.length} widget values, want ${slots.length}`);
    slots.forEach((s, k) => {
      if (s.spec) problems.push(...valueProblems(`#${n.id}.${s.name}`, values[k], s.spec));
    });
  }
  return problems;
}

/** The example files in the first column of the tables in examples/README.md, such as `api/poster.json`. */
function readmeFiles(folder: 'api' | 'editor'): string[] {
  const readme = readFileSync(join(examples, 'README.md'), 'utf8');
  const rows = readme.matchAll(new RegExp(`^\\| \`${folder}/([\\w.-]+\\.json)\``, 'gm'));
  return [...rows].map((m) => m[1]).sort();
}

describe('examples', () => {
  it('finds the 3 API and 3 editor examples the README lists, and no others', () => {
    // examples/README.md has a table row for each: api/ masks, photo-edit, poster; editor/ poster, sweep,
    // variations.
    assert.deepEqual([readmeFiles('api').length, readmeFiles('editor').length], [3, 3]);
    assert.deepEqual([...apiFiles].sort(), readmeFiles('api'));
    assert.deepEqual([...editorFiles].sort(), readmeFiles('editor'));
  });

  for (const file of apiFiles) {
    const prompt = readJson<ApiPrompt>(join(examples, 'api', file));

    it(`api/${file} is a valid prompt for the embedded engine's classes`, () => {
      assert.deepEqual(validationProblems(prompt), VALID);
    });

    it(`api/${file} has no dependency cycle`, () => {
      assert.equal(topologicalOrder(prompt).length, Object.keys(prompt).length);
    });

    it(`api/${file} runs on the embedded engine`, async function () {
      this.timeout(60_000);
      const dirs = runDirs();
      const ui = await runOnEngine(prompt, dirs);
      assert.deepEqual(Object.keys(ui).sort(), outputNodes(prompt, defs).sort());
    });
  }

  it('masks.json splits into two independent branches, each with a SaveImage', () => {
    const prompt = readJson<ApiPrompt>(join(examples, 'api', 'masks.json'));
    const groups = independentBranches(prompt, outputNodes(prompt, defs));
    assert.equal(groups.length, 2);
    for (const g of groups) assert.ok(g.some((id) => prompt[id].class_type === 'SaveImage'));
  });

  it('input/sample.png is a 128x96 8-bit RGB image', () => {
    const png = decode(readFileSync(join(examples, 'input', 'sample.png')));
    assert.deepEqual([png.width, png.height, png.channels, png.depth], [128, 96, 3, 8]);
  });

  for (const file of editorFiles) {
    it(`editor/${file} is wired consistently with widget values in definition order`, () => {
      assert.deepEqual(editorProblems(readJson<EditorWorkflow>(join(examples, 'editor', file))), []);
    });
  }

  for (const file of editorFiles) {
    it(`editor/${file} converts to a valid API prompt`, () => {
      assert.deepEqual(validationProblems(convert(file)), VALID);
    });
  }

  it('editor/poster.json converts with the Reroute resolved and the muted node dropped', () => {
    const prompt = convert('poster.json');
    assert.deepEqual(Object.keys(prompt).sort(), ['1', '2', '3', '4', '6', '7']);
    assert.deepEqual(prompt['1'].inputs, { value: 512 });
    assert.deepEqual(prompt['2'].inputs.width, ['1', 0]);
    assert.deepEqual(prompt['6'].inputs.image, ['4', 0]);
  });

  it('editor/sweep.json takes the README sweeps by node title after conversion', () => {
    const prompt = convert('sweep.json');
    const sweeps = ['Factor.value=0.2,0.5,0.8', 'Blend.blend_mode=multiply,screen'].map(parseSweep);
    const runs = sweepCombinations(sweeps).map((combo) =>
      applyOverrides(prompt, [parseOverride('Prefix.value=trial'), ...combo]),
    );
    assert.equal(runs.length, 6);
    assert.deepEqual([runs[5]['3'].inputs.value, runs[5]['4'].inputs.blend_mode], [0.8, 'screen']);
    for (const run of runs) assert.deepEqual(validationProblems(run), VALID);
  });

  it('editor/poster.json is a version 0.4 graph with a PrimitiveInt, a muted node and a Reroute', () => {
    const w = readJson<EditorWorkflow>(join(examples, 'editor', 'poster.json'));
    assert.equal(w.version, 0.4);
    assert.ok(w.links.every((l) => Array.isArray(l)));
    assert.ok(w.nodes.some((n) => n.type === 'PrimitiveInt'));
    assert.ok(w.nodes.some((n) => n.mode === 2));
    assert.ok(w.nodes.some((n) => n.type === 'Reroute'));
  });

  it('editor/sweep.json is a version 1 graph with object links and a state block', () => {
    const w = readJson<EditorWorkflow>(join(examples, 'editor', 'sweep.json'));
    assert.equal(w.version, 1);
    assert.ok(w.links.every((l) => !Array.isArray(l)));
    assert.equal(typeof w.state, 'object');
  });

  it('README.md describes every example file', () => {
    const readme = readFileSync(join(examples, 'README.md'), 'utf8');
    const files = [
      ...apiFiles.map((f) => `api/${f}`),
      ...editorFiles.map((f) => `editor/${f}`),
      'input/sample.png',
    ];
    assert.deepEqual(
      files.filter((f) => !readme.includes(f)),
      [],
    );
  });
});

/** Fresh input, output and temp folders with the examples' inputs copied in. */
function runDirs(): TestDirs {
  return testDirs(join(examples, 'input'));
}
