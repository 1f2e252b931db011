/**
 * The binary WebSocket frames a preview becomes (comfyui-protocol.md 3.5): every frame is
 * `[uint32 BE event type][payload]`. Type 4 (PREVIEW_IMAGE_WITH_METADATA) names its prompt and node in a
 * JSON header and goes to sockets that negotiated `supports_preview_metadata`; type 1 (PREVIEW_IMAGE)
 * carries only the image format and goes to the others.
 */
import { PREVIEW_IMAGE, PREVIEW_IMAGE_WITH_METADATA } from '../protocol/binaryFrames';
import type { PreviewEventData } from '../engine/engineEvents';
import { pythonJsonDumps } from '../engine/pythonJson';

/** The two forms a preview can take on the wire. */
export type PreviewForm = 'metadata' | 'legacy';

function frame(eventType: number, header: Uint8Array, image: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + header.byteLength + image.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, eventType);
  out.set(header, 4);
  out.set(image, 4 + header.byteLength);
  return out;
}

/** A type-1 frame: the image format as ComfyUI numbers it (JPEG 1, PNG 2), then the image. */
export function legacyPreviewFrame(preview: PreviewEventData): Uint8Array {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, preview.format === 'PNG' ? 2 : 1);
  return frame(PREVIEW_IMAGE, header, preview.bytes);
}

/**
 * A type-4 frame. The header is the metadata ComfyUI's progress handler builds, in its key order, with
 * `image_type` added, serialised as Python's `json.dumps` does, so frames have ComfyUI's exact length.
 */
export function metadataPreviewFrame(preview: PreviewEventData): Uint8Array {
  const metadata = {
    node_id: preview.node,
    prompt_id: preview.prompt_id,
    display_node_id: preview.display_node,
    // The engine has no subgraphs: no node has a parent, and every node is its own real node.
    parent_node_id: null,
    real_node_id: preview.node,
    image_type: preview.format === 'PNG' ? 'image/png' : 'image/jpeg',
  };
  const json = new TextEncoder().encode(pythonJsonDumps(metadata));
  const header = new Uint8Array(4 + json.byteLength);
  new DataView(header.buffer).setUint32(0, json.byteLength);
  header.set(json, 4);
  return frame(PREVIEW_IMAGE_WITH_METADATA, header, preview.bytes);
}

/** The frame of a preview in the given form. */
export function previewFrame(preview: PreviewEventData, form: PreviewForm): Uint8Array {
  return form === 'metadata' ? metadataPreviewFrame(preview) : legacyPreviewFrame(preview);
}
