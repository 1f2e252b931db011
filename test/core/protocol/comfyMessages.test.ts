import assert from 'node:assert/strict';
import { decodeBinaryFrame, type PreviewFrame } from '../../../src/core/protocol/binaryFrames';
import { parseServerMessage } from '../../../src/core/protocol/comfyMessages';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBinaryFrame, listTranscripts, loadTranscript } from '../../fakes/replayTranscript';
import { transcriptsDir } from '../../fakes/fixturePaths';

/**
 * The event types a ComfyUI 0.8.0 server sends, written out here rather than read from the schemas under
 * test, so that a schema missing from the parser fails instead of being taken for an unknown type.
 */
const known = new Set([
  'status',
  'feature_flags',
  'execution_start',
  'execution_cached',
  'executing',
  'progress',
  'progress_state',
  'executed',
  'execution_success',
  'execution_error',
  'execution_interrupted',
]);

/** The recordings that hold binary frames: the SaveImageWebsocket runs. */
const withBinaryFrames = [
  '10_websocket_binary',
  '10b_websocket_binary_no_flags',
  '13_prompt_without_client_id',
];

/** The scenarios in the first column of the table in the transcripts' README. */
function readmeScenarios(): string[] {
  const readme = readFileSync(join(transcriptsDir, 'README.md'), 'utf8');
  return [...readme.matchAll(/^\| (\d\d\w*) \|/gm)].map((m) => m[1]).sort();
}

describe('server messages', () => {
  it('finds the 14 recordings the transcripts README lists, and no others', () => {
    // test/fixtures/comfyui-0.8.0/transcripts/README.md lists 14 scenarios, 01_invert to 13_prompt_without_client_id.
    assert.equal(readmeScenarios().length, 14);
    assert.deepEqual(listTranscripts(), readmeScenarios());
  });

  describe('every recorded text frame', () => {
    for (const name of listTranscripts()) {
      it(`${name}: every known message parses and none is malformed`, () => {
        const lines = loadTranscript(name).filter((l) => l.kind === 'ws');
        assert.ok(lines.length > 0);
        for (const line of lines) {
          const parsed = parseServerMessage(JSON.stringify(line.msg));
          if (known.has(line.msg.type)) {
            assert.equal(
              parsed.kind,
              'message',
              `seq ${line.seq} ${line.msg.type}: ${JSON.stringify(parsed)}`,
            );
          } else {
            assert.deepEqual(parsed, { kind: 'ignored', ignored: line.msg.type });
          }
        }
      });
    }
  });

  describe('every recorded binary frame', () => {
    it('finds binary frames in the three SaveImageWebsocket recordings and nowhere else', () => {
      const found = listTranscripts().filter((name) =>
        loadTranscript(name).some((l) => l.kind === 'ws_binary'),
      );
      assert.deepEqual(found, withBinaryFrames);
    });

    for (const name of listTranscripts()) {
      const lines = loadTranscript(name).filter((l) => l.kind === 'ws_binary');
      if (lines.length === 0) continue;
      it(`${name}: every binary frame decodes to a preview of the recorded size`, () => {
        for (const line of lines) {
          const decoded = decodeBinaryFrame(buildBinaryFrame(line));
          assert.equal(decoded.kind, 'frame', `seq ${line.seq}`);
          const frame = (decoded as { frame: PreviewFrame }).frame;
          assert.equal(frame.eventType, line.event_type);
          assert.equal(frame.image.byteLength, line.image_bytes);
          assert.equal(frame.mimeType, 'image/png');
          if (line.event_type === 4) {
            assert.equal(frame.promptId, line.metadata?.prompt_id);
            assert.equal(frame.nodeId, line.metadata?.node_id);
          }
        }
      });
    }
  });

  it('keeps the recorded field values of an execution_error', () => {
    const line = loadTranscript('05_runtime_error').find(
      (l) => l.kind === 'ws' && l.msg.type === 'execution_error',
    );
    const parsed = parseServerMessage(JSON.stringify(line!.kind === 'ws' ? line!.msg : null));
    assert.equal(parsed.kind, 'message');
    const message = parsed.kind === 'message' ? parsed.message : undefined;
    assert.equal(message?.type, 'execution_error');
    if (message?.type !== 'execution_error') return;
    assert.equal(message.data.node_id, '2');
    assert.equal(message.data.node_type, 'ImageToMask');
    assert.equal(message.data.exception_type, 'IndexError');
  });

  it('reads executing with a null node as the end of a prompt', () => {
    const parsed = parseServerMessage('{"type":"executing","data":{"node":null,"prompt_id":"p"}}');
    assert.deepEqual(parsed, {
      kind: 'message',
      message: { type: 'executing', data: { node: null, prompt_id: 'p' } },
    });
  });

  it('turns numeric node ids into strings', () => {
    const parsed = parseServerMessage('{"type":"execution_cached","data":{"nodes":[1,"2"],"prompt_id":"p"}}');
    assert.equal(parsed.kind, 'message');
    assert.deepEqual(parsed.kind === 'message' && parsed.message.data, { nodes: ['1', '2'], prompt_id: 'p' });
  });

  it('ignores an unknown message type', () => {
    assert.deepEqual(parseServerMessage('{"type":"crystools.monitor","data":{"cpu":3}}'), {
      kind: 'ignored',
      ignored: 'crystools.monitor',
    });
  });

  it('reports a known type whose data does not fit as malformed', () => {
    const parsed = parseServerMessage('{"type":"progress","data":{"value":"three","max":3}}');
    assert.equal(parsed.kind, 'malformed');
    assert.equal(parsed.kind === 'malformed' && parsed.malformed, 'progress');
  });

  it('reports text that is not JSON as malformed', () => {
    assert.equal(parseServerMessage('not json').kind, 'malformed');
  });

  it('reports JSON without a type as malformed', () => {
    assert.equal(parseServerMessage('{"data":{}}').kind, 'malformed');
  });

  it('decodes a TEXT frame into its node id and text', () => {
    const node = Buffer.from('12:5');
    const frame = Buffer.concat([u32(3), u32(node.length), node, Buffer.from('step 3/20 ✓')]);
    assert.deepEqual(decodeBinaryFrame(frame), {
      kind: 'frame',
      frame: { type: 'text', eventType: 3, nodeId: '12:5', text: 'step 3/20 ✓' },
    });
  });

  it('decodes a legacy JPEG preview', () => {
    const decoded = decodeBinaryFrame(Buffer.concat([u32(1), u32(1), Buffer.from([0xff, 0xd8, 0xff])]));
    assert.equal(
      decoded.kind === 'frame' && decoded.frame.type === 'preview' && decoded.frame.mimeType,
      'image/jpeg',
    );
  });

  it('ignores an unknown binary event type', () => {
    assert.deepEqual(decodeBinaryFrame(Buffer.concat([u32(42), Buffer.from('x')])), {
      kind: 'ignored',
      ignored: 42,
    });
  });

  it('reports a metadata preview whose header runs past the end as malformed', () => {
    assert.equal(decodeBinaryFrame(Buffer.concat([u32(4), u32(100), Buffer.from('{}')])).kind, 'malformed');
  });

  it('reports a frame shorter than its event type as malformed', () => {
    assert.equal(decodeBinaryFrame(Buffer.from([0, 1])).kind, 'malformed');
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
