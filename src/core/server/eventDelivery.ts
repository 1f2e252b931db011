/**
 * Sends the engine events of running prompts to the sockets: ComfyUI's JSON messages as text frames,
 * previews as binary frames, each to its audience (eventRouting.ts) and in ComfyUI's order.
 *
 * The order differs by form. The engine emits a step with a preview as `progress_state`, `preview`,
 * `progress`, which is where ComfyUI's progress handler sends a type-4 frame. A type-1 frame comes from
 * ComfyUI's progress hook after it has sent `progress` (recordings 10b and 13), so a legacy frame is
 * held back until the next message of its prompt, which is that `progress`, has gone out.
 *
 * `progress_state` goes through a {@link ProgressCoalescer}, which spaces it out for each socket and
 * keeps a slow socket from piling it up; every other message goes out as it comes.
 */
import { isPreviewEvent, type EngineEvent, type PreviewEventData } from '../engine/engineEvents';
import { audienceOf, endsPrompt, previewFormFor, type Audience } from './eventRouting';
import { previewFrame } from './previewFrames';
import { ProgressCoalescer, type CoalescedSocket } from './progressCoalescer';
import type { SocketHub } from './socketHub';

/** The events of every running prompt, on their way to the sockets. */
export class EventDelivery {
  /** Legacy preview frames waiting for the next message of their prompt, by prompt id. */
  private readonly held = new Map<string, (() => void)[]>();
  private readonly progress: ProgressCoalescer;

  /** @param coalesce false sends every `progress_state` to every socket at once, as ComfyUI does. */
  constructor(
    private readonly hub: SocketHub,
    coalesce = true,
  ) {
    this.progress = new ProgressCoalescer(coalesce);
  }

  /** Sends one event of a prompt submitted by `clientId` (undefined: submitted without one). */
  deliver(event: EngineEvent, clientId: string | undefined): void {
    const audience = audienceOf(event.type, event.data, clientId);
    if (isPreviewEvent(event)) return this.preview(event.data, audience);
    const promptId = event.data.prompt_id;
    if (event.type === 'progress_state') {
      this.progress.snapshot(event, this.hub.socketsOf(audience));
    } else {
      if (endsPrompt(event.type, event.data)) this.progress.end(promptId);
      else this.progress.overtaken(promptId, this.hub.socketsOf(audience));
      this.hub.deliver(event, audience);
    }
    this.release(promptId);
  }

  /** A socket closed: nothing of the delivery keeps it. */
  socketClosed(ws: CoalescedSocket): void {
    this.progress.forget(ws);
  }

  /** Stops the snapshots' timer. */
  close(): void {
    this.progress.close();
  }

  private preview(preview: PreviewEventData, audience: Audience): void {
    if (audience.kind === 'nobody') return;
    // The form is decided now, as ComfyUI checks the client's flags when the step is reported.
    const form = previewFormFor(audience, (id) => this.hub.supportsPreviewMetadata(id));
    const send = () => this.hub.deliverBinary(previewFrame(preview, form), audience);
    if (form === 'metadata') return send();
    const waiting = this.held.get(preview.prompt_id);
    if (waiting) waiting.push(send);
    else this.held.set(preview.prompt_id, [send]);
  }

  private release(promptId: string): void {
    const waiting = this.held.get(promptId);
    if (!waiting) return;
    this.held.delete(promptId);
    for (const send of waiting) send();
  }
}
