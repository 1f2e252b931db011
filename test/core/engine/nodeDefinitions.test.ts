import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { engineDefinitions } from '../../../src/core/engine/engineDefinitions';
import { builtinNodes } from '../../../src/core/engine/registry';
import type { NodeDefs } from '../../../src/core/workflow/types';
import { testDirs } from '../../fakes/testDirs';
import { transcriptsDir } from '../../fakes/fixturePaths';

const fixture = JSON.parse(readFileSync(resolve(transcriptsDir, 'object_info.json'), 'utf8')) as NodeDefs;

const issueClasses =
  'EmptyImage LoadImage LoadImageMask SaveImage PreviewImage ImageInvert ImageScale ImageScaleBy ImageScaleToTotalPixels ImageCrop ImageFlip ImageRotate ImagePadForOutpaint ImageBatch RepeatImageBatch ImageFromBatch ImageCompositeMasked ImageBlend ImageBlur ImageSharpen SolidMask InvertMask MaskToImage ImageToMask MaskComposite FeatherMask GrowMask CropMask ThresholdMask ImageColorToMask JoinImageWithAlpha SplitImageWithAlpha PrimitiveInt PrimitiveFloat PrimitiveString PrimitiveStringMultiline PrimitiveBoolean StringConcatenate StringReplace GetImageSize'.split(
    ' ',
  );

/** Classes added since the engine issue, each for a recorded workflow it runs. */
const laterClasses = ['SaveImageWebsocket'];

const engineClasses = [...issueClasses, ...laterClasses];

describe('engine node definitions', () => {
  it('implements exactly the 40 classes of the engine issue plus SaveImageWebsocket', () => {
    assert.equal(issueClasses.length, 40);
    assert.deepEqual([...builtinNodes.keys()].sort(), [...engineClasses].sort());
  });

  for (const name of engineClasses) {
    it(`${name} is defined exactly as ComfyUI 0.8.0's /object_info entry`, async () => {
      // The recording server had an empty input folder, so LoadImage's live list is empty here too.
      const defs = await engineDefinitions(testDirs().inputDir);
      assert.deepEqual(defs[name], fixture[name]);
    });
  }

  it("lists the input folder's images in LoadImage's definition", async () => {
    const dirs = testDirs();
    writeFileSync(join(dirs.inputDir, 'b.png'), '');
    writeFileSync(join(dirs.inputDir, 'a.png'), '');
    const defs = await engineDefinitions(dirs.inputDir);
    assert.deepEqual((defs.LoadImage.input.required!.image[0] as string[]).slice().sort(), [
      'a.png',
      'b.png',
    ]);
  });
});
