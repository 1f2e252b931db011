import assert from 'node:assert/strict';
import { decodeBinaryFrame } from '../../../src/core/protocol/binaryFrames';
import type { PreviewEventData } from '../../../src/core/engine/engineEvents';
import { legacyPreviewFrame, metadataPreviewFrame } from '../../../src/core/server/previewFrames';
import { previewFormFor } from '../../../src/core/server/eventRouting';
import { loadTranscript, type WsBinaryLine } from '../../fakes/replayTranscript';

/** A binary frame of a recording, as described there. */
function recordedBinary(scenario: string): WsBinaryLine {
  return loadTranscript(scenario).find((l): l is WsBinaryLine => l.kind === 'ws_binary')!;
}

/** A preview of the recorded prompt with an image of the recorded size (the recordings keep no bytes). */
function previewLike(line: WsBinaryLine, promptId = 'p1'): PreviewEventData {
  const bytes = new Uint8Array(line.image_bytes!);
  bytes.set([0x89, 0x50, 0x4e, 0x47]);
  return { prompt_id: promptId, node: '3', display_node: '3', format: 'PNG', bytes };
}

describe('preview frames', () => {
  it('a type-4 frame has the recorded length: its header is written as Python’s json.dumps writes it', () => {
    const line = recordedBinary('10_websocket_binary');
    const frame = metadataPreviewFrame(previewLike(line, line.metadata!.prompt_id as string));
    assert.equal(frame.byteLength, line.length);
  });

  it('a type-4 frame decodes in our client to its prompt, node, type and image', () => {
    const preview = previewLike(recordedBinary('10_websocket_binary'));
    const decoded = decodeBinaryFrame(metadataPreviewFrame(preview));
    assert.ok(decoded.kind === 'frame' && decoded.frame.type === 'preview');
    const f = decoded.frame;
    assert.deepEqual(
      [f.eventType, f.promptId, f.nodeId, f.displayNodeId, f.mimeType],
      [4, 'p1', '3', '3', 'image/png'],
    );
    assert.deepEqual(f.image, preview.bytes);
  });

  it('a type-1 frame has the recorded length and names PNG as format 2', () => {
    const line = recordedBinary('10b_websocket_binary_no_flags');
    const frame = legacyPreviewFrame(previewLike(line));
    assert.equal(frame.byteLength, line.length);
    assert.deepEqual([...frame.subarray(0, 8)], [0, 0, 0, 1, 0, 0, 0, line.image_type]);
  });

  it('a JPEG preview is format 1 in a type-1 frame and image/jpeg in a type-4 header', () => {
    const jpeg: PreviewEventData = { ...previewLike(recordedBinary('10_websocket_binary')), format: 'JPEG' };
    assert.equal(new DataView(legacyPreviewFrame(jpeg).buffer).getUint32(4), 1);
    const decoded = decodeBinaryFrame(metadataPreviewFrame(jpeg));
    assert.ok(decoded.kind === 'frame' && decoded.frame.type === 'preview');
    assert.equal(decoded.frame.mimeType, 'image/jpeg');
  });

  it('only a single client that negotiated metadata gets type 4; broadcasts are always type 1', () => {
    const yes = () => true;
    assert.equal(previewFormFor({ kind: 'client', clientId: 'a' }, yes), 'metadata');
    assert.equal(
      previewFormFor({ kind: 'client', clientId: 'a' }, () => false),
      'legacy',
    );
    assert.equal(previewFormFor({ kind: 'everyone' }, yes), 'legacy');
  });
});
