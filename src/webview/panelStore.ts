/**
 * The panel's copy of the host's runs: a snapshot replaces it, `run/added` and `run/delta` change it,
 * previews are kept per run (the newest). No DOM here: the views read it and redraw what changed.
 */
import type { HostMessage, PanelRun, PanelWorkflow } from '../shared/protocol';

/** What one message changed. */
export interface StoreChange {
  /** Everything (a snapshot). */
  all: boolean;
  /** The runs that changed. */
  runs: string[];
  /** A run whose preview changed. */
  preview?: string;
}

/** See the file comment. */
export class PanelStore {
  workflow: PanelWorkflow | undefined;
  servers: string[] = [];
  readonly runs = new Map<string, PanelRun>();
  readonly previews = new Map<string, string>();

  /** The runs, oldest first. */
  list(): PanelRun[] {
    return [...this.runs.values()].sort((a, b) => a.number - b.number);
  }

  /** Takes in one message from the host; undefined when it changes no run. */
  apply(message: HostMessage): StoreChange | undefined {
    switch (message.type) {
      case 'runs/snapshot':
        this.workflow = message.workflow;
        this.servers = message.servers;
        this.runs.clear();
        for (const r of message.runs) this.runs.set(r.id, r);
        for (const id of this.previews.keys()) if (!this.runs.has(id)) this.previews.delete(id);
        return { all: true, runs: [] };
      case 'run/added':
        this.runs.set(message.run.id, message.run);
        return { all: false, runs: [message.run.id] };
      case 'run/delta': {
        const run = this.runs.get(message.id);
        if (!run) return undefined;
        const next: Record<string, unknown> = { ...run };
        for (const [k, v] of Object.entries(message.changes)) {
          if (v === null) delete next[k];
          else next[k] = v;
        }
        this.runs.set(message.id, next as unknown as PanelRun);
        // A run that ended shows its outputs, not its last preview.
        if (next.state !== 'running') this.previews.delete(message.id);
        return { all: false, runs: [message.id] };
      }
      case 'run/preview':
        if (!this.runs.has(message.id)) return undefined;
        this.previews.set(message.id, message.image);
        return { all: false, runs: [], preview: message.id };
      case 'view/compare':
        return undefined;
    }
  }
}
