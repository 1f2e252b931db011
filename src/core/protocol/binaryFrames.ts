/**
 * Decoding of ComfyUI's binary WebSocket frames: `[uint32 BE event type][payload]` (comfyui-protocol.md 3.5).
 * Types 1 (PREVIEW_IMAGE), 3 (TEXT) and 4 (PREVIEW_IMAGE_WITH_METADATA) are understood; others (custom
 * nodes) are ignored.
 */
import { z } from 'zod';

/** Event type of a legacy preview: `[uint32 image format][image bytes]`, routed to whatever node runs. */
export const PREVIEW_IMAGE = 1;
/** Event type of a node's progress text: `[uint32 len][node id][text]`. Carries no prompt id. */
export const TEXT = 3;
/** Event type of a preview with a JSON header naming its prompt and node. */
export const PREVIEW_IMAGE_WITH_METADATA = 4;

/** The JSON header of a type-4 preview. */
export const previewMetadata = z.looseObject({
  node_id: z.union([z.string(), z.number()]).transform(String),
  prompt_id: z.string(),
  display_node_id: z.union([z.string(), z.number()]).transform(String).nullable().optional(),
  parent_node_id: z.union([z.string(), z.number()]).transform(String).nullable().optional(),
  real_node_id: z.union([z.string(), z.number()]).transform(String).nullable().optional(),
  image_type: z.string(),
});

/** A decoded preview image. `promptId` and `nodeId` are known only for type 4. */
export interface PreviewFrame {
  type: 'preview';
  eventType: typeof PREVIEW_IMAGE | typeof PREVIEW_IMAGE_WITH_METADATA;
  mimeType: string;
  image: Uint8Array;
  promptId?: string;
  nodeId?: string;
  displayNodeId?: string;
}

/** A decoded progress text of a node. */
export interface TextFrame {
  type: 'text';
  eventType: typeof TEXT;
  nodeId: string;
  text: string;
}

/** What {@link decodeBinaryFrame} made of a frame; same conventions as `parseServerMessage`. */
export type DecodedBinaryFrame =
  | { kind: 'frame'; frame: PreviewFrame | TextFrame }
  | { kind: 'ignored'; ignored: number }
  | { kind: 'malformed'; malformed: number; error: string };

const legacyImageTypes: Record<number, string> = { 1: 'image/jpeg', 2: 'image/png' };

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeLegacyPreview(payload: Uint8Array): DecodedBinaryFrame {
  if (payload.byteLength < 4) return malformed(PREVIEW_IMAGE, 'no image format');
  const format = view(payload).getUint32(0);
  const mimeType = legacyImageTypes[format] ?? 'application/octet-stream';
  return {
    kind: 'frame',
    frame: { type: 'preview', eventType: PREVIEW_IMAGE, mimeType, image: payload.subarray(4) },
  };
}

function decodeText(payload: Uint8Array): DecodedBinaryFrame {
  if (payload.byteLength < 4) return malformed(TEXT, 'no node id length');
  const length = view(payload).getUint32(0);
  if (4 + length > payload.byteLength) return malformed(TEXT, 'node id runs past the end of the frame');
  const decoder = new TextDecoder();
  const nodeId = decoder.decode(payload.subarray(4, 4 + length));
  const text = decoder.decode(payload.subarray(4 + length));
  return { kind: 'frame', frame: { type: 'text', eventType: TEXT, nodeId, text } };
}

function decodeMetadataPreview(payload: Uint8Array): DecodedBinaryFrame {
  if (payload.byteLength < 4) return malformed(PREVIEW_IMAGE_WITH_METADATA, 'no metadata length');
  const length = view(payload).getUint32(0);
  if (4 + length > payload.byteLength) {
    return malformed(PREVIEW_IMAGE_WITH_METADATA, 'metadata runs past the end of the frame');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload.subarray(4, 4 + length)));
  } catch (e) {
    return malformed(PREVIEW_IMAGE_WITH_METADATA, (e as Error).message);
  }
  const meta = previewMetadata.safeParse(json);
  if (!meta.success) return malformed(PREVIEW_IMAGE_WITH_METADATA, z.prettifyError(meta.error));
  const frame: PreviewFrame = {
    type: 'preview',
    eventType: PREVIEW_IMAGE_WITH_METADATA,
    mimeType: meta.data.image_type,
    image: payload.subarray(4 + length),
    promptId: meta.data.prompt_id,
    nodeId: meta.data.node_id,
    displayNodeId: meta.data.display_node_id ?? meta.data.node_id,
  };
  return { kind: 'frame', frame };
}

function malformed(eventType: number, error: string): DecodedBinaryFrame {
  return { kind: 'malformed', malformed: eventType, error };
}

/** Decodes one binary WebSocket frame from a ComfyUI server. Never throws; the image bytes are not copied. */
export function decodeBinaryFrame(frame: Uint8Array): DecodedBinaryFrame {
  if (frame.byteLength < 4) return malformed(-1, 'a binary frame needs a 4-byte event type');
  const eventType = view(frame).getUint32(0);
  const payload = frame.subarray(4);
  switch (eventType) {
    case PREVIEW_IMAGE:
      return decodeLegacyPreview(payload);
    case TEXT:
      return decodeText(payload);
    case PREVIEW_IMAGE_WITH_METADATA:
      return decodeMetadataPreview(payload);
    default:
      return { kind: 'ignored', ignored: eventType };
  }
}
