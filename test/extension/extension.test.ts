import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fakeExtensionContext, sharedFakeVscode, type FakeVscodeRecord } from '../fakes/fakeVscode';
import { workflowsDir } from '../fakes/fixturePaths';
import { tempDir } from '../fakes/tempDirs';

const fake = sharedFakeVscode();
const record: FakeVscodeRecord = fake.record;
const workflows = workflowsDir;

describe('the extension glue', () => {
  const subscriptions: { dispose(): unknown }[] = [];
  before(async () => {
    const { activate } =
      (await import('../../src/extension/extension')) as typeof import('../../src/extension/extension');
    activate({ ...fakeExtensionContext(tempDir('comfy-ext-storage-')), subscriptions } as never);
  });
  // The fake is shared with the other tests of the glue: leave it with nothing of this activation.
  after(() => {
    subscriptions.forEach((d) => d.dispose());
    record.activeDocument = undefined;
  });

  it('registers every command the manifest contributes', () => {
    const manifest = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
      contributes: { commands: { command: string }[] };
    };
    assert.deepEqual(
      [...record.commands.keys()].sort(),
      manifest.contributes.commands.map((c) => c.command).sort(),
    );
  });

  it('has a handler in the heavy half for every command it registers, and no other', async () => {
    const { commandTable } = await import('../../src/extension/extensionCore');
    // The views' commands have a table of their own, loaded with the runner (their handlers need the trees).
    const { viewCommandTable } = await import('../../src/extension/views/jobViewsCore');
    const { viewCommandIds } = await import('../../src/extension/views/registerJobViews');
    assert.deepEqual(Object.keys(viewCommandTable).sort(), [...viewCommandIds].sort());
    const handled = [...Object.keys(commandTable), ...Object.keys(viewCommandTable)];
    assert.equal(new Set(handled).size, handled.length, 'no command has two handlers');
    assert.deepEqual(handled.sort(), [...record.commands.keys()].sort());
  });

  it('ships the API-format schema its manifest names, and the schema requires what detection does', () => {
    const root = resolve(__dirname, '../..');
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      contributes: { jsonValidation: { fileMatch: string[]; url: string }[] };
    };
    const [entry] = manifest.contributes.jsonValidation;
    assert.deepEqual(entry.fileMatch, ['*.api.json', 'workflow_api*.json']);
    const schema = JSON.parse(readFileSync(join(root, entry.url), 'utf8')) as {
      definitions: { node: { required: string[] } };
    };
    assert.deepEqual(schema.definitions.node.required, ['class_type', 'inputs']);
    const shipped = readFileSync(join(root, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(shipped.includes(`!${entry.url.replace(/^\.\//, '').split('/')[0]}/**`));
  });

  it('lists each validation problem in the Problems panel at its node', async () => {
    const file = resolve(workflows, '06c_validation_bad_value.json');
    record.activeDocument = { fileName: file, text: readFileSync(file, 'utf8') };
    await record.commands.get('comfyuiRunner.validateWorkflow')!();
    const items = record.diagnostics.get(file) ?? [];
    assert.deepEqual(
      items.map((d) => d.code),
      ['value_smaller_than_min', 'value_not_in_list'],
    );
    assert.equal(
      record.activeDocument.text.split('\n')[items[0].range.startLine].trim().startsWith('"width"'),
      true,
    );
  });

  it('validates the document a lens or the editor title names, not the active one', async () => {
    const file = resolve(workflows, '06c_validation_bad_value.json');
    const doc = fake.documents.open(file, readFileSync(file, 'utf8'));
    record.activeDocument = { fileName: 'other.json', text: '{}' };
    try {
      await record.commands.get('comfyuiRunner.validateWorkflow')!(doc.uri);
    } finally {
      fake.documents.close(doc);
    }
    assert.match(record.messages.at(-1)!.text, /06c_validation_bad_value\.json has 2 problem\(s\)/);
  });

  it('says a valid workflow is valid', async () => {
    const file = resolve(workflows, '01_invert.json');
    record.activeDocument = { fileName: file, text: readFileSync(file, 'utf8') };
    await record.commands.get('comfyuiRunner.validateWorkflow')!();
    assert.match(record.messages.at(-1)!.text, /^ComfyUI Runner: .*01_invert\.json is valid\.$/);
    assert.deepEqual(record.diagnostics.get(file), []);
  });

  it('names the node definitions file and the class at fault when the file is not /object_info', async () => {
    const dir = tempDir('comfy-ext-');
    const defsFile = join(dir, 'object_info.json');
    writeFileSync(defsFile, JSON.stringify({ LoadImage: { output: ['IMAGE'] } }));
    const file = resolve(workflows, '01_invert.json');
    record.activeDocument = { fileName: file, text: readFileSync(file, 'utf8') };
    record.settings.set('nodeDefinitionsFile', defsFile);
    try {
      await record.commands.get('comfyuiRunner.validateWorkflow')!();
    } finally {
      record.settings.delete('nodeDefinitionsFile');
    }
    const last = record.messages.at(-1)!;
    assert.equal(last.level, 'error');
    assert.ok(last.text.includes(defsFile) && last.text.includes('"LoadImage"'), last.text);
  });

  it('opens the API form of an editor workflow in a new editor', async () => {
    const file = resolve(__dirname, '../../examples/editor/poster.json');
    record.activeDocument = { fileName: file, text: readFileSync(file, 'utf8') };
    await record.commands.get('comfyuiRunner.convertWorkflow')!();
    const opened = record.opened.at(-1)!;
    assert.equal(opened.language, 'json');
    // The nodes examples/README.md and examples.test.ts give for it: the muted preview and the Reroute are gone.
    assert.deepEqual(Object.keys(JSON.parse(opened.content!) as object).sort(), [
      '1',
      '2',
      '3',
      '4',
      '6',
      '7',
    ]);
    assert.ok(
      Object.values(JSON.parse(opened.content!) as Record<string, { class_type: string }>).some(
        (n) => n.class_type === 'SaveImage',
      ),
    );
  });
});
