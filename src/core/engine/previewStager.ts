/**
 * Pairs a node's previews with the progress step that carries them (NodeContext.preview): ComfyUI sends
 * a preview only with a progress step, so a preview waits for the node's next `progress` call. One
 * stager serves one node run, on whichever thread runs the node, so a heavy node's previews are fitted
 * to their size on its worker, not on the executor's thread.
 */
import { fitPreview } from './previewFit';
import type { PreviewImage } from './types';

/** Where a stager sends each step: the step's position and the preview it carries, if any. */
export type StepSink = (value: number, max: number, preview?: PreviewImage) => void;

/** The progress and preview half of one node run's context; see the module comment. */
export class PreviewStager {
  private staged: PreviewImage | undefined;
  private value = 0;
  private max = 1;

  constructor(private readonly send: StepSink) {}

  /** NodeContext.preview: waits for the next step; a preview already waiting goes out on its own. */
  preview(image: PreviewImage, maxSize?: number): void {
    this.flush();
    this.staged = fitPreview(image, maxSize);
  }

  /** NodeContext.progress: one step, carrying the waiting preview if there is one. */
  progress(value: number, max: number): void {
    this.value = value;
    this.max = max;
    const preview = this.staged;
    this.staged = undefined;
    this.send(value, max, preview);
  }

  /** Sends a preview still waiting with a step at the node's current position; call when the node returns. */
  flush(): void {
    const preview = this.staged;
    if (!preview) return;
    this.staged = undefined;
    this.send(this.value, this.max, preview);
  }
}
