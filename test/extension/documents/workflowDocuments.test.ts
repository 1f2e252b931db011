import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FakeCodeLens } from '../../fakes/fakeVscode';
import { FakeUri } from '../../fakes/fakeVscode';
import { conformanceDir, workflowsDir } from '../../fakes/fixturePaths';
import { tempDir } from '../../fakes/tempDirs';
import { countingDefinitions, DEBOUNCE_MS, fake, pause, testLastRuns, until } from './documentsKit';

const { record, documents } = fake;
const invert = readFileSync(resolve(workflowsDir, '01_invert.json'), 'utf8');
const badValues = readFileSync(resolve(workflowsDir, '06c_validation_bad_value.json'), 'utf8');
const notAWorkflow = JSON.stringify({ name: 'comfyui-runner', version: '0.1.0' }, null, 2);
const comfyPng = join(conformanceDir, 'expected/06_crop_flip_rotate/06_crop_flip_rotate_00001_.png');
const plainPng = resolve(__dirname, '../../../examples/input/sample.png');

/** A file name under a folder of its own, so no two tests share a document. */
let n = 0;
const fileNamed = (name: string) => `/work/test-${++n}/${name}`;

describe('workflow documents', () => {
  let registration: { dispose(): void };
  let definitions: Awaited<ReturnType<typeof countingDefinitions>>;
  const lastRuns = testLastRuns();
  const open: { dispose(): void }[] = [];

  before(async () => {
    const { registerWorkflowDocuments } = await import('../../../src/extension/documents/workflowDocuments');
    const module = fake.module as { languages: { createDiagnosticCollection(): never } };
    definitions = await countingDefinitions();
    registration = registerWorkflowDocuments({
      diagnostics: module.languages.createDiagnosticCollection(),
      definitions,
      lastRuns,
      debounceMs: DEBOUNCE_MS,
    });
  });

  after(() => {
    registration.dispose();
    definitions.dispose();
  });

  afterEach(() => {
    open.splice(0).forEach((d) => d.dispose());
    documents.show(undefined);
  });

  function openDoc(name: string, text: string) {
    const doc = documents.open(fileNamed(name), text);
    open.push({ dispose: () => !doc.isClosed && documents.close(doc) });
    return doc;
  }

  function lensesOf(doc: ReturnType<typeof openDoc>): FakeCodeLens[] {
    return record.codeLensProviders.flatMap((p) => p.provideCodeLenses(doc));
  }

  it('loads no node definitions until a workflow document is seen', async () => {
    openDoc('package.json', notAWorkflow);
    await pause();
    assert.equal(definitions.loads, 0);
    openDoc('flow.json', invert);
    await until('the definitions are asked for', () => definitions.loads > 0);
  });

  it('sets the workflow context keys by the content of the active document, not its name', async () => {
    const api = openDoc('notes.json', invert);
    const named = openDoc('workflow_api.json', notAWorkflow);
    documents.show(api);
    assert.equal(record.context.get('comfyuiRunner.isWorkflow'), true);
    assert.equal(record.context.get('comfyuiRunner.workflowFormat'), 'api');
    documents.show(named);
    assert.equal(record.context.get('comfyuiRunner.isWorkflow'), false);
    assert.equal(record.context.get('comfyuiRunner.workflowFormat'), undefined);
  });

  it('follows an edit of the active document once the user pauses', async () => {
    const doc = openDoc('flow.json', invert);
    documents.show(doc);
    documents.edit(doc, notAWorkflow);
    assert.equal(record.context.get('comfyuiRunner.isWorkflow'), true, 'not before the pause');
    await until('the key follows the edit', () => record.context.get('comfyuiRunner.isWorkflow') === false);
  });

  it('keeps a workflow a workflow while its text is not valid JSON for a moment', async () => {
    const doc = openDoc('flow.json', invert);
    documents.show(doc);
    documents.edit(doc, invert.replace('"class_type"', 'class_type'));
    await pause();
    assert.equal(record.context.get('comfyuiRunner.workflowFormat'), 'api');
  });

  it('says png for an image ComfyUI wrote and nothing for another image', async () => {
    documents.show(undefined, FakeUri.file(comfyPng));
    await until('the PNG is read', () => record.context.get('comfyuiRunner.workflowFormat') === 'png');
    documents.show(undefined, FakeUri.file(plainPng));
    await until('the other PNG is read', () => record.context.get('comfyuiRunner.isWorkflow') === false);
  });

  it('lists problems at their input keys once the user pauses after an edit', async () => {
    const doc = openDoc('flow.json', invert);
    await until('the valid workflow is validated', () => record.diagnostics.get(doc.fileName)?.length === 0);
    documents.edit(doc, badValues);
    assert.deepEqual(record.diagnostics.get(doc.fileName), [], 'not before the pause');
    await until('the problems appear', () => (record.diagnostics.get(doc.fileName)?.length ?? 0) > 0);
    const found = record.diagnostics.get(doc.fileName)!;
    assert.deepEqual(
      found.map((d) => [d.code, d.source]),
      [
        ['value_smaller_than_min', 'ComfyUI Runner'],
        ['value_not_in_list', 'ComfyUI Runner'],
      ],
    );
    const lines = badValues.split('\n');
    assert.match(lines[found[0].range.startLine], /^\s*"width"/);
    assert.match(lines[found[1].range.startLine], /^\s*"upscale_method"/);
  });

  it('clears the problems when the document stops being a workflow, and when it closes', async () => {
    const doc = openDoc('flow.json', badValues);
    await until('the problems appear', () => (record.diagnostics.get(doc.fileName)?.length ?? 0) > 0);
    documents.edit(doc, notAWorkflow);
    await until('the problems go', () => !record.diagnostics.has(doc.fileName));
    documents.edit(doc, badValues);
    await until('the problems are back', () => (record.diagnostics.get(doc.fileName)?.length ?? 0) > 0);
    documents.close(doc);
    assert.equal(record.diagnostics.has(doc.fileName), false);
  });

  it('validates again with the definitions a changed setting names', async () => {
    const doc = openDoc('flow.json', invert);
    await until('the workflow is validated', () => record.diagnostics.get(doc.fileName)?.length === 0);
    const missing = join(tempDir('comfy-defs-'), 'object_info.json');
    try {
      documents.setSetting('nodeDefinitionsFile', missing);
      await until('the setting is used', () => (record.diagnostics.get(doc.fileName)?.length ?? 0) > 0);
      const [d] = record.diagnostics.get(doc.fileName)!;
      assert.equal(d.code, 'bad_input');
      assert.ok(d.message.includes(missing), d.message);
    } finally {
      documents.setSetting('nodeDefinitionsFile', '');
    }
    await until('the engine is used again', () => record.diagnostics.get(doc.fileName)?.length === 0);
  });

  it('offers Run, Run ×N…, Sweep…, Validate and Runs above a workflow, each given the document', () => {
    const doc = openDoc('flow.json', invert);
    const lenses = lensesOf(doc);
    assert.deepEqual(
      lenses.map((l) => l.command?.command),
      [
        'comfyuiRunner.runWorkflow',
        'comfyuiRunner.runWorkflowTimes',
        'comfyuiRunner.runSweep',
        'comfyuiRunner.validateWorkflow',
        'comfyuiRunner.openRunsPanel',
      ],
    );
    assert.ok(lenses.every((l) => l.range.startLine === 0 && l.command?.arguments?.[0] === doc.uri));
  });

  it('offers no lenses above JSON that is not a workflow', () => {
    assert.deepEqual(lensesOf(openDoc('workflow_api.json', notAWorkflow)), []);
  });

  it('offers only Validate and Runs in a workspace that is not trusted', () => {
    fake.record.trusted = false;
    try {
      const lenses = lensesOf(openDoc('flow.json', invert));
      assert.deepEqual(
        lenses.map((l) => l.command?.command),
        ['comfyuiRunner.validateWorkflow', 'comfyuiRunner.openRunsPanel'],
      );
    } finally {
      fake.record.trusted = true;
    }
  });
});
