import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { detectWorkflowText, settleWorkflowFormat } from '../../../src/core/workflow/workflowText';
import { fixturesDir, workflowsDir } from '../../fakes/fixturePaths';

const api = readFileSync(resolve(workflowsDir, '01_invert.json'), 'utf8');
const editor = readFileSync(resolve(fixturesDir, 'editor/txt2imgClassic.json'), 'utf8');

describe('detectWorkflowText', () => {
  it('finds the API format', () => {
    assert.equal(detectWorkflowText(api), 'api');
  });

  it('finds the editor format', () => {
    assert.equal(detectWorkflowText(editor), 'editor');
  });

  it('finds a workflow after leading white space and a byte order mark', () => {
    assert.equal(detectWorkflowText(`\ufeff\n  ${api}`), 'api');
  });

  it('says none for JSON that is not a workflow', () => {
    assert.equal(detectWorkflowText('{"name": "comfyui-runner", "version": "0.1.0"}'), 'none');
  });

  it('says none without parsing when the text does not start with an object', () => {
    assert.equal(detectWorkflowText('[1, 2, 3'), 'none');
    assert.equal(detectWorkflowText('export const x = {};'), 'none');
    assert.equal(detectWorkflowText(''), 'none');
  });

  it('says unparsed for an object that is not valid JSON', () => {
    assert.equal(detectWorkflowText(api.replace('"class_type"', 'class_type')), 'unparsed');
  });

  it('says none for text longer than the cap', () => {
    assert.equal(detectWorkflowText(api, { maxLength: 10 }), 'none');
  });
});

describe('settleWorkflowFormat', () => {
  it('keeps the earlier format while the text does not parse', () => {
    assert.equal(settleWorkflowFormat('editor', 'unparsed'), 'editor');
    assert.equal(settleWorkflowFormat(undefined, 'unparsed'), undefined);
  });

  it('takes a parsed verdict over the earlier format', () => {
    assert.equal(settleWorkflowFormat('editor', 'api'), 'api');
    assert.equal(settleWorkflowFormat('api', 'none'), undefined);
  });
});
