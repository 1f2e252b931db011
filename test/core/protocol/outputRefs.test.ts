import assert from 'node:assert/strict';
import { distinctFiles, outputRefs, serverFileKey } from '../../../src/core/protocol/outputRefs';

describe('output references', () => {
  describe('outputRefs', () => {
    it('lists every file item with its node, kind and index, skipping text, flags and nameless items', () => {
      const refs = outputRefs({
        '3': { images: [{ filename: 'a.png', subfolder: '', type: 'output' }], animated: [false] },
        '5': {
          text: ['hello'],
          images: ['not a file', { filename: '' }, { filename: 'b.png', type: 'temp' }],
        },
      });
      assert.deepEqual(refs, [
        { nodeId: '3', kind: 'images', index: 0, filename: 'a.png', subfolder: '', type: 'output' },
        { nodeId: '5', kind: 'images', index: 2, filename: 'b.png', subfolder: '', type: 'temp' },
      ]);
    });

    it('reads a missing subfolder as empty and a missing type as output', () => {
      const [ref] = outputRefs({ '1': { audio: [{ filename: 'a.flac' }] } });
      assert.deepEqual([ref!.subfolder, ref!.type], ['', 'output']);
    });

    it('lists nothing for a cached node whose output is null', () => {
      assert.deepEqual(outputRefs({ '9': null }), []);
    });

    it('keeps the same file listed by two nodes twice', () => {
      const item = { filename: 'a.png', subfolder: 's', type: 'output' };
      const refs = outputRefs({ '1': { images: [item] }, '2': { images: [item] } });
      assert.deepEqual(
        refs.map((r) => r.nodeId),
        ['1', '2'],
      );
    });
  });

  describe('distinctFiles', () => {
    it('lists every server file once, in node order, skipping text and flags', () => {
      const files = distinctFiles(
        outputRefs({
          '3': { images: [{ filename: 'a.png', subfolder: '', type: 'output' }], animated: [false] },
          '5': { text: ['hello'], images: [{ filename: 'a.png', subfolder: '', type: 'output' }] },
          '7': { gifs: [{ filename: 'v.mp4', subfolder: 'vid', type: 'output', format: 'video/h264-mp4' }] },
        }),
      );
      assert.deepEqual(
        files.map((f) => [f.nodeId, f.kind, f.filename, f.subfolder]),
        [
          ['3', 'images', 'a.png', ''],
          ['7', 'gifs', 'v.mp4', 'vid'],
        ],
      );
    });

    it('tells apart files of the same name in another subfolder or type', () => {
      const refs = outputRefs({
        '1': {
          images: [
            { filename: 'a.png', subfolder: '', type: 'output' },
            { filename: 'a.png', subfolder: 'x', type: 'output' },
            { filename: 'a.png', subfolder: '', type: 'temp' },
          ],
        },
      });
      assert.equal(distinctFiles(refs).length, 3);
      assert.equal(new Set(refs.map(serverFileKey)).size, 3);
    });
  });
});
