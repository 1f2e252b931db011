/**
 * Holds the engine to the exact form of ComfyUI core's execution messages (protocol/executionMessages.ts),
 * the one description of what it sends.
 */
import assert from 'node:assert/strict';
import { isPreviewEvent, type EngineEvent } from '../../../src/core/engine/engineEvents';
import { executionMessageSchemas } from '../../../src/core/protocol/executionMessages';

/** Asserts that every JSON event is in the exact form core sends: it parses, and nothing is left over. */
export function assertCoreForm(events: readonly EngineEvent[]): void {
  for (const [i, e] of events.entries()) {
    if (isPreviewEvent(e)) continue;
    const parsed = executionMessageSchemas[e.type].safeParse(e.data);
    assert.ok(parsed.success, `event ${i} ${e.type}: ${parsed.error?.message}`);
    assert.deepEqual(parsed.data, e.data, `event ${i} ${e.type}`);
  }
}
