/**
 * Which sockets receive an event, by ComfyUI's rules (comfyui-protocol.md 3.4). The executor addresses
 * every message to the client id of the running prompt; a prompt submitted without one is "headless", and
 * then only the messages ComfyUI sends with no target at all (progress, interrupts, blocked nodes)
 * reach anyone, as broadcasts. `status` is always a broadcast.
 */

/** Where one message goes. */
export type Audience = { kind: 'client'; clientId: string } | { kind: 'everyone' } | { kind: 'nobody' };

/** Messages that go to every socket when their prompt has no client id. */
const BROADCAST_WHEN_HEADLESS = new Set(['progress', 'progress_state', 'execution_interrupted']);

/** True for the non-terminal `execution_error` a node sends when it blocks its downstream. */
function isExecutionBlocked(type: string, data: unknown): boolean {
  return (
    type === 'execution_error' &&
    (data as { exception_type?: unknown })?.exception_type === 'ExecutionBlocked'
  );
}

/** The audience of a message of a prompt submitted by `clientId` (undefined: headless). */
export function audienceOf(type: string, data: unknown, clientId: string | undefined): Audience {
  if (type === 'status') return { kind: 'everyone' };
  if (clientId !== undefined) return { kind: 'client', clientId };
  if (BROADCAST_WHEN_HEADLESS.has(type) || isExecutionBlocked(type, data)) return { kind: 'everyone' };
  return { kind: 'nobody' };
}
