/**
 * Which sockets receive an event, by ComfyUI's rules (comfyui-protocol.md 3.4). The executor addresses
 * every message to the client id of the running prompt; a prompt submitted without one is "headless", and
 * then only the messages ComfyUI sends with no target at all (progress, previews, interrupts, blocked
 * nodes) reach anyone, as broadcasts. `status` is always a broadcast.
 */
import type { PreviewForm } from './previewFrames';

/** Where one message goes. */
export type Audience = { kind: 'client'; clientId: string } | { kind: 'everyone' } | { kind: 'nobody' };

/** Messages that go to every socket when their prompt has no client id. */
const BROADCAST_WHEN_HEADLESS = new Set(['progress', 'progress_state', 'execution_interrupted', 'preview']);

/** True for the non-terminal `execution_error` a node sends when it blocks its downstream. */
function isExecutionBlocked(type: string, data: unknown): boolean {
  return (
    type === 'execution_error' &&
    (data as { exception_type?: unknown })?.exception_type === 'ExecutionBlocked'
  );
}

/**
 * True for the messages after which a prompt sends no more node activity: its terminal event (an
 * ExecutionBlocked error is not one) and the closing `executing {node: null}`.
 */
export function endsPrompt(type: string, data: unknown): boolean {
  if (type === 'execution_success' || type === 'execution_interrupted') return true;
  if (type === 'execution_error') return !isExecutionBlocked(type, data);
  return type === 'executing' && (data as { node?: unknown })?.node === null;
}

/** The audience of a message of a prompt submitted by `clientId` (undefined: headless). */
export function audienceOf(type: string, data: unknown, clientId: string | undefined): Audience {
  if (type === 'status') return { kind: 'everyone' };
  if (clientId !== undefined) return { kind: 'client', clientId };
  if (BROADCAST_WHEN_HEADLESS.has(type) || isExecutionBlocked(type, data)) return { kind: 'everyone' };
  return { kind: 'nobody' };
}

/**
 * The form of a preview for its audience. ComfyUI sends type 4 only when the prompt's own client
 * negotiated `supports_preview_metadata`, and type 1 otherwise; a headless prompt has no client to ask,
 * so its previews are broadcast as type 1 even to sockets that negotiated metadata (recording 13).
 */
export function previewFormFor(
  audience: Audience,
  supportsMetadata: (clientId: string) => boolean,
): PreviewForm {
  return audience.kind === 'client' && supportsMetadata(audience.clientId) ? 'metadata' : 'legacy';
}
