/**
 * The workflow commands in a real VS Code: each test opens a workflow of the workspace, runs a command
 * from the palette as a user does and checks what the user sees.
 */
import assert from 'node:assert/strict';
import { useWorkbench } from './harness/session';

describe('the workflow commands in VS Code', () => {
  const workbench = useWorkbench({
    workspace: {
      '.': 'examples',
      'broken/bad-values.json': 'test/fixtures/comfyui-0.8.0/workflows/06c_validation_bad_value.json',
    },
  });

  it('says an example API workflow is valid', async () => {
    const wb = workbench();
    await wb.openFile('api/poster.json');
    await wb.runCommand('ComfyUI Runner: Validate Workflow');
    const message = await wb.notification('is valid');
    await wb.screenshot('validate-valid-workflow');
    assert.equal(message, 'ComfyUI Runner: api/poster.json is valid.');
  });

  it('lists each validation problem in the Problems panel', async () => {
    const wb = workbench();
    await wb.openFile('broken/bad-values.json');
    await wb.runCommand('ComfyUI Runner: Validate Workflow');
    await wb.notification('broken/bad-values.json has 2 problem(s)');
    const width = await wb.problem("input 'width': Value 0 smaller than min of 1");
    const method = await wb.problem("input 'upscale_method': Value not in list");
    await wb.screenshot('validate-problems-panel');
    assert.match(width, /node 1 .*EmptyImage/);
    assert.match(method, /node 2 .*ImageScale/);
  });

  it('converts an editor workflow opened from the Explorer into API format in a new editor', async () => {
    const wb = workbench();
    await (await wb.treeRow('editor')).click();
    await (await wb.treeRow('sweep.json')).click();
    await wb.activeTab('sweep.json');
    await wb.runCommand('ComfyUI Runner: Convert Workflow to API Format');
    await wb.activeTab('Untitled-');
    const text = (await wb.editorLines()).join('\n');
    await wb.screenshot('convert-editor-workflow');
    // API format: node ids to inputs and class_type, where the editor format has "nodes" and "links".
    assert.match(text, /^\{\n {2}"1": \{\n {4}"inputs": \{/);
    assert.match(text, /"class_type": "EmptyImage"/);
  });
});
