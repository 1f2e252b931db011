import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from 'fast-png';
import { detectWorkflow, type DetectedWorkflow } from '../../../src/core/workflow/detect';

const api = {
  '1': { class_type: 'EmptyImage', inputs: { width: 8 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } },
};
const editorV04 = {
  nodes: [
    { id: 1, type: 'EmptyImage' },
    { id: 2, type: 'SaveImage' },
  ],
  links: [[1, 1, 0, 2, 0, 'IMAGE']],
  version: 0.4,
};
const editorV1 = {
  nodes: [{ id: 1, type: 'EmptyImage' }],
  links: [{ id: 1, origin_id: 1, origin_slot: 0, target_id: 2, target_slot: 0, type: 'IMAGE' }],
  state: { lastNodeId: 2, lastLinkId: 1 },
};

/** A 1x1 PNG carrying `text` chunks, as SaveImage writes them. */
function pngWith(text: Record<string, string>): Uint8Array {
  return encode({ width: 1, height: 1, data: new Uint8Array(3), channels: 3, text });
}

/** The reason of a detection that must have failed. */
function reasonOf(d: DetectedWorkflow): string {
  assert.equal(d.format, 'none');
  return (d as Extract<DetectedWorkflow, { format: 'none' }>).reason;
}

describe('detectWorkflow', () => {
  it('detects an API prompt', () => {
    assert.deepEqual(detectWorkflow(JSON.stringify(api)), { format: 'api', prompt: api });
  });

  it('detects an editor workflow of version 0.4 with array links', () => {
    assert.deepEqual(detectWorkflow(JSON.stringify(editorV04)), {
      format: 'editor',
      version: 0.4,
      linkLayout: 'array',
      workflow: editorV04,
    });
  });

  it('detects version 1 from "state" and object links', () => {
    const d = detectWorkflow(JSON.stringify(editorV1));
    assert.deepEqual(
      [d.format, 'version' in d && d.version, 'linkLayout' in d && d.linkLayout],
      ['editor', 1, 'object'],
    );
  });

  it('reads the same text given as UTF-8 bytes', () => {
    assert.equal(detectWorkflow(new TextEncoder().encode(JSON.stringify(api))).format, 'api');
  });

  it('detects a PNG with prompt and workflow chunks and parses both', () => {
    const d = detectWorkflow(
      pngWith({ prompt: JSON.stringify(api), workflow: JSON.stringify(editorV04) }),
      'out.png',
    );
    assert.deepEqual(d, { format: 'png', prompt: api, workflow: editorV04 });
  });

  it('detects a PNG with only a workflow chunk', () => {
    assert.deepEqual(detectWorkflow(pngWith({ workflow: JSON.stringify(editorV04) })), {
      format: 'png',
      workflow: editorV04,
    });
  });

  it('keeps the usable chunk of a PNG and warns about the broken one', () => {
    const d = detectWorkflow(pngWith({ prompt: '{oops', workflow: JSON.stringify(editorV04) }));
    assert.equal(d.format, 'png');
    assert.match(
      (d as Extract<DetectedWorkflow, { format: 'png' }>).warnings?.[0] ?? '',
      /"prompt" chunk is not valid JSON/,
    );
  });

  it('says so when a PNG has no workflow chunks', () => {
    assert.match(reasonOf(detectWorkflow(pngWith({ Software: 'x' }))), /PNG without "prompt" or "workflow"/);
  });

  it('does not crash on a PNG cut short', () => {
    const file = pngWith({ prompt: JSON.stringify(api) });
    assert.match(reasonOf(detectWorkflow(file.subarray(0, 40))), /truncated/);
  });

  it('says a .png file without the signature is not a PNG', () => {
    assert.match(reasonOf(detectWorkflow(new TextEncoder().encode('{}'), 'x.png')), /not a PNG/);
  });

  it('unwraps the API prompt of a jobs-detail wrapper', () => {
    const wrapper = { workflow: { prompt: api, extra_data: { extra_pnginfo: { workflow: editorV04 } } } };
    assert.deepEqual(detectWorkflow(JSON.stringify(wrapper)), { format: 'api', prompt: api });
  });

  it('unwraps the editor workflow of a jobs-detail wrapper without a usable prompt', () => {
    const wrapper = { workflow: { prompt: {}, extra_data: { extra_pnginfo: { workflow: editorV1 } } } };
    assert.equal(detectWorkflow(JSON.stringify(wrapper)).format, 'editor');
  });

  it('unwraps a POST /prompt body', () => {
    assert.deepEqual(detectWorkflow(JSON.stringify({ prompt: api, client_id: 'x' })), {
      format: 'api',
      prompt: api,
    });
  });

  it('gives the line and column of a JSON syntax error', () => {
    const d = detectWorkflow('{\n  "1": {"class_type": "X",}\n}');
    assert.deepEqual([d.format, 'line' in d && d.line, 'column' in d && d.column], ['none', 2, 27]);
    assert.match(reasonOf(d), /^not valid JSON: .* at line 2, column 27$/);
  });

  it('names the API node without class_type', () => {
    assert.equal(
      reasonOf(detectWorkflow('{"1": {"class_type": "A", "inputs": {}}, "3": {"inputs": {}}}')),
      'node "3" has no "class_type"',
    );
  });

  it('names the API node whose inputs are not an object', () => {
    assert.match(
      reasonOf(detectWorkflow('{"3": {"class_type": "A", "inputs": []}}')),
      /node "3" has "inputs" that is not an object/,
    );
  });

  it('says when "nodes" is not an array', () => {
    assert.equal(reasonOf(detectWorkflow('{"nodes": {}, "links": []}')), '"nodes" is not an array');
  });

  it('says when an editor workflow has no links', () => {
    assert.match(reasonOf(detectWorkflow('{"nodes": []}')), /"links" is missing/);
  });

  it('names an editor node without a type', () => {
    assert.match(
      reasonOf(detectWorkflow('{"nodes": [{"id": 4}], "links": []}')),
      /nodes\[0\] \(id 4\) has no "type"/,
    );
  });

  it('names a link that breaks the layout of the others', () => {
    const mixed = { ...editorV04, links: [[1, 1, 0, 2, 0, 'IMAGE'], editorV1.links[0]] };
    assert.match(
      reasonOf(detectWorkflow(JSON.stringify(mixed))),
      /links\[1\] is an object but links\[0\] is an array/,
    );
  });

  it('explains JSON that is no workflow at all', () => {
    assert.match(reasonOf(detectWorkflow('[1, 2]')), /array/);
    assert.match(reasonOf(detectWorkflow('{}')), /empty/);
    assert.match(reasonOf(detectWorkflow('{"name": "pkg", "version": "1"}')), /no "nodes" array/);
    assert.match(reasonOf(detectWorkflow('{"templates": []}')), /template bundle/);
    assert.match(reasonOf(detectWorkflow('  ')), /empty/);
  });

  it('handles deeply nested JSON', () => {
    const deep = `{"1": {"class_type": "A", "inputs": {"x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`;
    assert.equal(detectWorkflow(deep).format, 'api');
    assert.equal(detectWorkflow(deep.slice(0, -1)).format, 'none');
  });

  it('never throws on arbitrary bytes or JSON, and always answers a known format', () => {
    const formats = new Set(['api', 'editor', 'png', 'none']);
    const png = pngWith({ prompt: JSON.stringify(api) });
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      // Damaged PNGs: a real file with bytes overwritten or cut.
      fc.tuple(fc.nat(png.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, junk]) => {
        const copy = png.slice(0, Math.max(8, at + junk.length));
        copy.set(junk.subarray(0, copy.length - at), at);
        return copy;
      }),
    );
    fc.assert(
      fc.property(inputs, (input) => {
        const d = detectWorkflow(input, 'f.json');
        return (
          formats.has(d.format) &&
          (d.format !== 'none' || (typeof d.reason === 'string' && !d.reason.startsWith('could not read')))
        );
      }),
      { numRuns: 2000 },
    );
  });
});
