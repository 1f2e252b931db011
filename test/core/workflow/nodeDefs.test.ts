import assert from 'node:assert/strict';
import { finalizeInputs, linkTypesMatch, lookupDef } from '../../../src/core/workflow/nodeDefs';
import type { NodeDef } from '../../../src/core/workflow/types';
import { defs } from './validateFixtures';

describe('nodeDefs', () => {
  it('matches link types as the server does', () => {
    assert.deepEqual(
      [
        linkTypesMatch('IMAGE', 'IMAGE'),
        linkTypesMatch('IMAGE', 'MASK'),
        linkTypesMatch('IMAGE', '*'),
        linkTypesMatch('*', 'LATENT'),
        linkTypesMatch('IMAGE', 'MASK, IMAGE'),
        linkTypesMatch('IMAGE,LATENT', 'MASK'),
        linkTypesMatch(['a', 'b'], 'COMBO'),
        linkTypesMatch('COMFY_MATCHTYPE_V3', 'IMAGE'),
      ],
      [true, false, true, true, true, false, true, true],
    );
  });

  it('looks classes up as own properties only', () => {
    assert.equal(lookupDef(defs, 'constructor'), undefined);
    assert.equal(lookupDef(defs, 'SaveImage')?.name, 'SaveImage');
  });

  it('lists required then optional inputs in definition order', () => {
    const names = finalizeInputs(defs.ImageCompositeMasked, {}).map((i) => `${i.category}:${i.name}`);
    assert.deepEqual(names, [
      'required:destination',
      'required:source',
      'required:x',
      'required:y',
      'required:resize_source',
      'optional:mask',
    ]);
  });

  it('expands an autogrow input into required slots up to min and optional ones after', () => {
    const inputs = finalizeInputs(defs.BatchImagesNode, {});
    assert.equal(inputs.length, 50);
    assert.deepEqual(
      inputs.slice(0, 3).map((i) => [i.name, i.category]),
      [
        ['images.image0', 'required'],
        ['images.image1', 'required'],
        ['images.image2', 'optional'],
      ],
    );
  });

  it('expands a dynamic combo only by its selected option', () => {
    const names = finalizeInputs(defs.ResizeImageMaskNode, { resize_type: 'scale dimensions' }).map(
      (i) => i.name,
    );
    assert.deepEqual(names, [
      'input',
      'resize_type.width',
      'resize_type.height',
      'resize_type.crop',
      'resize_type',
      'scale_method',
    ]);
  });

  it('stops expanding nested autogrow templates that would multiply without end', () => {
    const grow = (inner: unknown) => [
      'COMFY_AUTOGROW_V3',
      { template: { input: { required: { s: inner } }, prefix: 's', min: 0, max: 1000 } },
    ];
    const hostile = {
      ...defs.ImageInvert,
      input: { required: { g: grow(grow(grow(grow(['INT'])))) } },
    } as unknown as NodeDef;
    assert.ok(finalizeInputs(hostile, {}).length <= 10_000);
  });
});
