/**
 * The one contract between the runs panel's host (src/extension/panel) and its webview (src/webview):
 * two discriminated unions keyed by a `type` written as a path. Payloads are plain JSON. The host sends
 * a full `runs/snapshot` when the webview says `webview/ready`, and small deltas after; what the
 * webview sends is checked on receipt by {@link parseWebviewMessage} (a webview is a page, and its
 * messages are input like any other).
 *
 * The webview imports only the types of this file, so zod never reaches its bundle.
 */
import { z } from 'zod';

/** A run's state, as the job store keeps it. */
export type PanelRunState =
  'queued' | 'dispatching' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'lost';

/** Where one node of a run stands, as the panel shows it. */
export type PanelNodeState = 'waiting' | 'cached' | 'running' | 'done' | 'failed';

/** One node of a run, in execution order. */
export interface PanelNode {
  /** The node's id in the prompt. */
  id: string;
  /** Its title in the workflow, else its class. */
  title: string;
  classType: string;
  state: PanelNodeState;
  /** Steps of a running node that reports them. */
  steps?: { value: number; max: number };
  /** When it started and finished, in ms since the epoch, when known. */
  started?: number;
  finished?: number;
}

/** One output file of a run. */
export interface PanelOutput {
  /** The file's absolute path on the host; what the webview names when it asks about it. */
  path: string;
  /** The file as the webview may load it (`asWebviewUri`). */
  uri: string;
  /** The file's name, shown as text. */
  name: string;
  nodeId: string;
  /** ComfyUI's output kind (`images`, `gifs`, `audio`…). */
  kind: string;
  /** Its place in that node's output (the batch index of an image). */
  index: number;
  /** Starred by the user (kept in the run record). */
  starred: boolean;
}

/** Why a run failed. */
export interface PanelError {
  message: string;
  /** The machine-readable reason (`execution_failed`, `lost`…). */
  reason: string;
  nodeId?: string;
  nodeType?: string;
  exceptionType?: string;
  traceback: string[];
}

/** One input a run set that differs from the workflow file (an override, a sweep value, a seed). */
export interface PanelInput {
  /** The input's name as the run label shows it (`seed`, `Factor`, `3.seed`). */
  name: string;
  /** Its value as text. */
  value: string;
}

/** One run of the panel's workflow. */
export interface PanelRun {
  /** The job id. */
  id: string;
  /** Its number among the workflow's runs, from 1, in the order they were queued. */
  number: number;
  /** The run label: the inputs that differ from the workflow file (`#3 seed=1234`). */
  label: string;
  inputs: PanelInput[];
  state: PanelRunState;
  server?: string;
  attempt: number;
  retryOf?: string;
  /** Times in ms since the epoch. */
  queued: number;
  started?: number;
  finished?: number;
  /** Nodes done or cached, of all nodes. */
  progress: { done: number; total: number };
  nodes: PanelNode[];
  error?: PanelError;
  outputs: PanelOutput[];
  /** What the run record says of how it ran. */
  record: { promptId?: string; promptHash: string; comfyuiVersion?: string; outDir: string };
}

/** The fields of a run that changed, with their new values; null for a field the run no longer has. */
export type RunChanges = { [K in keyof Omit<PanelRun, 'id'>]?: PanelRun[K] | null };

/** The workflow a panel is about. */
export interface PanelWorkflow {
  /** The file's absolute path. */
  file: string;
  /** Its name, shown as the panel's title. */
  name: string;
}

/** What the host sends the webview. */
export type HostMessage =
  /** Sent on `webview/ready`, and when the runner behind the panel changes: every run, oldest first. */
  | { type: 'runs/snapshot'; workflow: PanelWorkflow; runs: PanelRun[]; servers: string[] }
  /** Sent when a run of the workflow appears (a new run, a retry). */
  | { type: 'run/added'; run: PanelRun }
  /** Sent when fields of a run changed; only the changed fields, at most ~20 times a second per panel. */
  | { type: 'run/delta'; id: string; changes: RunChanges }
  /** Sent while a run reports previews: the newest only, as a data URI, coalesced with the deltas. */
  | { type: 'run/preview'; id: string; image: string }
  /** Sent by Compare Runs: show these 2 to 4 runs side by side. */
  | { type: 'view/compare'; ids: string[] };

/** What the webview sends the host. */
export type WebviewMessage =
  /** The page has loaded and listens: send the snapshot. */
  | { type: 'webview/ready' }
  /** Cancel a queued or running run. */
  | { type: 'run/cancel'; id: string }
  /** Run a failed, cancelled or lost run again; on a server the user picks when `anotherServer`. */
  | { type: 'run/retry'; id: string; anotherServer: boolean }
  /** Open the sweep/override picker prefilled with this run's inputs. */
  | { type: 'run/rerun'; id: string }
  /** Open the exact prompt the run sent, as a new editor. */
  | { type: 'run/openPrompt'; id: string }
  /** Open the run record (`run.json`). */
  | { type: 'run/openRecord'; id: string }
  /** Reveal the run folder in the operating system's file manager. */
  | { type: 'run/revealOutputs'; id: string }
  /** Open an output file of a run in an editor. */
  | { type: 'output/open'; id: string; path: string }
  /** Reveal an output file in the file manager. */
  | { type: 'output/reveal'; id: string; path: string }
  /** Copy an output file's path to the clipboard. */
  | { type: 'output/copyPath'; id: string; path: string }
  /** Star or unstar an output file (kept in the run record). */
  | { type: 'output/star'; id: string; path: string; starred: boolean }
  /** Copy text (a traceback) to the clipboard. */
  | { type: 'text/copy'; text: string };

/** What the webview keeps across a reload (`vscode.setState`), and the serializer hands back. */
export interface PanelState {
  /** The workflow file the panel is about. */
  file: string;
  view: 'runs' | 'gallery' | 'compare';
  focused?: string;
  /** Runs selected for comparing. */
  selected: string[];
  filter: PanelRunState | 'all';
  zoom: { scale: number; x: number; y: number; fit: boolean };
}

const id = z.string().min(1).max(200);
const path = z.string().min(1).max(4096);
const webviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('webview/ready') }),
  z.object({ type: z.literal('run/cancel'), id }),
  z.object({ type: z.literal('run/retry'), id, anotherServer: z.boolean() }),
  z.object({ type: z.literal('run/rerun'), id }),
  z.object({ type: z.literal('run/openPrompt'), id }),
  z.object({ type: z.literal('run/openRecord'), id }),
  z.object({ type: z.literal('run/revealOutputs'), id }),
  z.object({ type: z.literal('output/open'), id, path }),
  z.object({ type: z.literal('output/reveal'), id, path }),
  z.object({ type: z.literal('output/copyPath'), id, path }),
  z.object({ type: z.literal('output/star'), id, path, starred: z.boolean() }),
  z.object({ type: z.literal('text/copy'), text: z.string().max(1_000_000) }),
]);

/** A message from the webview when it is one of {@link WebviewMessage}, else a line saying what is wrong. */
export function parseWebviewMessage(raw: unknown): { message: WebviewMessage } | { problem: string } {
  const parsed = webviewMessageSchema.safeParse(raw);
  if (parsed.success) return { message: parsed.data };
  const type = (raw as { type?: unknown } | null)?.type;
  return { problem: `a webview message${typeof type === 'string' ? ` of type ${type}` : ''} is malformed` };
}

/** The state a serializer was handed, when it is one the panel kept; undefined otherwise. */
export function parsePanelState(raw: unknown): PanelState | undefined {
  const parsed = panelStateSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

const panelStateSchema = z.object({
  file: path,
  view: z.enum(['runs', 'gallery', 'compare']),
  focused: id.optional(),
  selected: z.array(id).max(4),
  filter: z.enum(['all', 'queued', 'dispatching', 'running', 'succeeded', 'failed', 'cancelled', 'lost']),
  zoom: z.object({ scale: z.number(), x: z.number(), y: z.number(), fit: z.boolean() }),
});
