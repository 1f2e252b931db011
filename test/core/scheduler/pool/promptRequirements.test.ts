import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunnerError } from '../../../../src/core/util/runnerError';
import {
  explainNoServer,
  matchServer,
  modelFileRule,
  noCapableServer,
  promptRequirements,
  type PromptRequirements,
} from '../../../../src/core/scheduler/pool/promptRequirements';
import type { ApiPrompt, NodeDefs } from '../../../../src/core/workflow/types';
import { nodeDef } from '../../../fakes/fakeTarget';
import { comfyFixtures } from '../../../fakes/fixturePaths';

const fixtures = comfyFixtures;
const recorded = JSON.parse(readFileSync(join(fixtures, 'transcripts/object_info.json'), 'utf8')) as NodeDefs;
const workflow = (name: string) =>
  JSON.parse(readFileSync(join(fixtures, 'workflows', name), 'utf8')) as ApiPrompt;

/** Loaders in both COMBO spellings, with a given model list. */
function serverWith(models: { checkpoints?: string[]; loras?: string[]; upscale?: string[] }): NodeDefs {
  return {
    CheckpointLoaderSimple: nodeDef('CheckpointLoaderSimple', { ckpt_name: [models.checkpoints ?? []] }),
    LoraLoader: nodeDef('LoraLoader', { model: ['MODEL'], lora_name: [models.loras ?? []] }),
    UpscaleModelLoader: nodeDef('UpscaleModelLoader', {
      model_name: ['COMBO', { multiselect: false, options: models.upscale ?? [] }],
    }),
    KSampler: nodeDef('KSampler', { model: ['MODEL'], sampler_name: [['euler', 'dpmpp_2m']] }),
    SaveImage: nodeDef('SaveImage', { images: ['IMAGE'], filename_prefix: ['STRING', {}] }),
  };
}

const txt2img: ApiPrompt = {
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'SDXL/sdxl.safetensors' } },
  '10': { class_type: 'LoraLoader', inputs: { model: ['4', 0], lora_name: 'detail.safetensors' } },
  '3': { class_type: 'KSampler', inputs: { model: ['10', 0], sampler_name: 'euler' } },
  '12': { class_type: 'UpscaleModelLoader', inputs: { model_name: '4x-ultrasharp.pth' } },
  '9': { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'out' } },
};

const values = (r: PromptRequirements) => r.modelFiles.map((m) => m.value);

describe('prompt requirements', () => {
  it('lists every node class of a prompt', () => {
    const r = promptRequirements(workflow('02_branching.json'), recorded);
    assert.deepEqual([...r.nodeClasses].sort(), [
      'EmptyImage',
      'ImageBlend',
      'ImageBlur',
      'ImageInvert',
      'ImageScale',
      'MaskToImage',
      'SaveImage',
      'SolidMask',
    ]);
  });

  it('finds no model files in a prompt of image nodes only', () => {
    assert.deepEqual(promptRequirements(workflow('02_branching.json'), recorded).modelFiles, []);
  });

  it('reports legacy-spelled loader values the recording server lists no models for', () => {
    const r = promptRequirements(txt2img, recorded);
    assert.deepEqual(r.modelFiles[0], {
      nodeId: '4',
      classType: 'CheckpointLoaderSimple',
      input: 'ckpt_name',
      value: 'SDXL/sdxl.safetensors',
    });
  });

  it('reports the value of a V3 COMBO loader from the recording server', () => {
    const r = promptRequirements(txt2img, recorded);
    assert.ok(r.modelFiles.some((m) => m.classType === 'UpscaleModelLoader' && m.input === 'model_name'));
  });

  it('lists model files in node id order', () => {
    const r = promptRequirements(txt2img, recorded);
    assert.deepEqual(
      r.modelFiles.map((m) => m.nodeId),
      ['4', '10', '12'],
    );
  });

  it('does not take a sampler name for a model although its input ends in _name', () => {
    assert.ok(!values(promptRequirements(txt2img, recorded)).includes('euler'));
  });

  it("does not take VAELoader's built-in pixel_space for a model file", () => {
    const prompt: ApiPrompt = { '1': { class_type: 'VAELoader', inputs: { vae_name: 'pixel_space' } } };
    assert.deepEqual(promptRequirements(prompt, recorded).modelFiles, []);
  });

  it('takes a VAE file for a model file even when the server lists only built-in choices', () => {
    const prompt: ApiPrompt = {
      '1': { class_type: 'VAELoader', inputs: { vae_name: 'sdxl_vae.safetensors' } },
    };
    assert.deepEqual(values(promptRequirements(prompt, recorded)), ['sdxl_vae.safetensors']);
  });

  it('does not take an uploaded image for a model file', () => {
    assert.deepEqual(promptRequirements(workflow('07_loadimage_upload.json'), recorded).modelFiles, []);
  });

  it('does not take a text input that ends in .safetensors for a model file', () => {
    const prompt: ApiPrompt = { '1': { class_type: 'CLIPTextEncode', inputs: { text: 'a.safetensors' } } };
    assert.deepEqual(promptRequirements(prompt, recorded).modelFiles, []);
  });

  it('never takes a link for a model file', () => {
    const prompt: ApiPrompt = { '1': { class_type: 'Custom', inputs: { ckpt_name: ['2', 0] } } };
    assert.deepEqual(promptRequirements(prompt).modelFiles, []);
  });

  it('judges by name and value alone without definitions', () => {
    const r = promptRequirements(txt2img);
    assert.deepEqual(values(r), ['SDXL/sdxl.safetensors', 'detail.safetensors', '4x-ultrasharp.pth']);
  });

  it('takes a model extension on a custom node the definitions do not know', () => {
    const prompt: ApiPrompt = {
      '1': { class_type: 'IPAdapterModelLoader', inputs: { ipadapter_file: 'ip-adapter_sdxl.bin' } },
    };
    assert.deepEqual(values(promptRequirements(prompt, recorded)), ['ip-adapter_sdxl.bin']);
  });

  it('takes a file-like value of a loader-named input on a node the definitions do not know', () => {
    const prompt: ApiPrompt = { '1': { class_type: 'MyLoader', inputs: { config_name: 'v1.yaml' } } };
    assert.deepEqual(values(promptRequirements(prompt)), ['v1.yaml']);
  });

  it('takes every file of a multiselect COMBO', () => {
    const defs = { Multi: nodeDef('Multi', { lora_names: ['COMBO', { multiselect: true, options: [] }] }) };
    const prompt: ApiPrompt = { '1': { class_type: 'Multi', inputs: { lora_names: ['a.pt', 'b.pt'] } } };
    assert.deepEqual(values(promptRequirements(prompt, defs)), ['a.pt', 'b.pt']);
  });

  it('uses a rule given by the caller instead of the default', () => {
    const rule = modelFileRule({ extensions: ['.yaml'], inputName: /^never$/ });
    const prompt: ApiPrompt = {
      '1': {
        class_type: 'CheckpointLoader',
        inputs: { config_name: 'v1-inference.yaml', ckpt_name: 'a.ckpt' },
      },
    };
    assert.deepEqual(values(promptRequirements(prompt, recorded, rule)), ['v1-inference.yaml']);
  });

  it('accepts any function as the rule', () => {
    const r = promptRequirements(txt2img, recorded, ({ classType }) => classType === 'LoraLoader');
    assert.deepEqual(values(r), ['detail.safetensors']);
  });
});

describe('matching a server', () => {
  const full = serverWith({
    checkpoints: ['SDXL/sdxl.safetensors'],
    loras: ['detail.safetensors'],
    upscale: ['4x-ultrasharp.pth'],
  });

  it('accepts a server with every class and model', () => {
    assert.deepEqual(matchServer(promptRequirements(txt2img, full), full), { ok: true });
  });

  it('accepts the recording server for a workflow it ran', () => {
    const r = promptRequirements(workflow('01_invert.json'), recorded);
    assert.deepEqual(matchServer(r, recorded), { ok: true });
  });

  it('names a node class the server lacks', () => {
    const prompt: ApiPrompt = { ...txt2img, '20': { class_type: 'IPAdapterApply', inputs: {} } };
    const m = matchServer(promptRequirements(prompt, full), full);
    assert.deepEqual(m, { ok: false, reasons: ['no node class IPAdapterApply'] });
  });

  it('names a model missing from a legacy-spelled COMBO with its node class and input', () => {
    const server = serverWith({ loras: ['detail.safetensors'], upscale: ['4x-ultrasharp.pth'] });
    const m = matchServer(promptRequirements(txt2img, full), server);
    assert.deepEqual(m, {
      ok: false,
      reasons: ['missing model SDXL/sdxl.safetensors (CheckpointLoaderSimple.ckpt_name)'],
    });
  });

  it('names a model missing from a V3-spelled COMBO', () => {
    const server = serverWith({ checkpoints: ['SDXL/sdxl.safetensors'], loras: ['detail.safetensors'] });
    const m = matchServer(promptRequirements(txt2img, full), server);
    assert.deepEqual(m, {
      ok: false,
      reasons: ['missing model 4x-ultrasharp.pth (UpscaleModelLoader.model_name)'],
    });
  });

  it('refuses the recording server for a checkpoint it does not have', () => {
    const m = matchServer(promptRequirements(txt2img, recorded), recorded);
    assert.equal(m.ok, false);
    assert.ok(
      !m.ok && m.reasons.includes('missing model SDXL/sdxl.safetensors (CheckpointLoaderSimple.ckpt_name)'),
    );
  });

  it('lists missing classes before missing models', () => {
    const prompt: ApiPrompt = { ...txt2img, '20': { class_type: 'IPAdapterApply', inputs: {} } };
    const m = matchServer(promptRequirements(prompt, full), serverWith({}));
    assert.ok(!m.ok);
    assert.equal(m.reasons[0], 'no node class IPAdapterApply');
    assert.equal(m.reasons.length, 4);
  });

  it('gives a reason once when several nodes need the same missing file', () => {
    const prompt: ApiPrompt = {
      '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'a.safetensors' } },
      '2': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'a.safetensors' } },
    };
    const m = matchServer(promptRequirements(prompt, full), full);
    assert.ok(!m.ok);
    assert.equal(m.reasons.length, 1);
  });

  it('points at the same file in another folder', () => {
    const prompt: ApiPrompt = {
      '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sdxl.safetensors' } },
    };
    const m = matchServer(promptRequirements(prompt, full), full);
    assert.deepEqual(m, {
      ok: false,
      reasons: [
        'missing model sdxl.safetensors (CheckpointLoaderSimple.ckpt_name, the server has SDXL/sdxl.safetensors)',
      ],
    });
  });

  it('does not hold an input against a server that checks it against no list', () => {
    const server: NodeDefs = { ...full, CheckpointLoaderSimple: nodeDef('x', { ckpt_name: ['STRING', {}] }) };
    const m = matchServer(promptRequirements(txt2img, full), server);
    assert.deepEqual(m, { ok: true });
  });

  it('does not hold an input against a server whose node lacks it', () => {
    const server: NodeDefs = { ...full, CheckpointLoaderSimple: nodeDef('CheckpointLoaderSimple') };
    assert.deepEqual(matchServer(promptRequirements(txt2img, full), server), { ok: true });
  });
});

describe('explaining why no server fits', () => {
  it('joins each server with its reasons on one line', () => {
    const line = explainNoServer([
      { server: 'gpu-2', reasons: ['no node class IPAdapterApply'] },
      { server: 'gpu-3', reasons: ['missing model sdxl.safetensors'] },
    ]);
    assert.equal(line, 'gpu-2: no node class IPAdapterApply; gpu-3: missing model sdxl.safetensors');
  });

  it('counts the reasons past the limit instead of listing them', () => {
    const line = explainNoServer([{ server: 'a', reasons: ['r1', 'r2', 'r3'] }], { maxReasonsPerServer: 1 });
    assert.equal(line, 'a: r1 and 2 more');
  });

  it('says so when there is no server at all', () => {
    assert.equal(explainNoServer([]), 'no servers are configured');
  });

  it('makes a no_capable_server error that keeps every reason', () => {
    const verdicts = [{ server: 'a', reasons: ['r1', 'r2', 'r3', 'r4'] }];
    const e = noCapableServer(verdicts);
    assert.ok(isRunnerError(e, 'no_capable_server'));
    assert.deepEqual(e.details, { servers: verdicts });
  });
});
