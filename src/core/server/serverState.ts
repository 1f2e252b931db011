/**
 * What the route handlers of one server share: its queue and history, its folders, its node definitions
 * and the priority counter of `POST /prompt`.
 */
import type { NodeDefs } from '../workflow/types';
import type { PromptHistory } from './promptHistory';
import type { PromptQueue } from './promptQueue';

/** The folders behind `type=input|output|temp`. */
export interface ServerFolders {
  inputDir: string;
  outputDir: string;
  tempDir: string;
}

/** The state of one running server. */
export interface ServerState {
  readonly queue: PromptQueue;
  readonly history: PromptHistory;
  readonly folders: ServerFolders;
  /** The engine's `/object_info`, read fresh each time (LoadImage lists the input folder). */
  definitions(): Promise<NodeDefs>;
  /** The feature flags of `/features` and of the socket's answer. */
  featureFlags(): Record<string, unknown>;
  /** `system.comfyui_version` of `/system_stats`. */
  readonly version: string;
  /** `system.argv` of `/system_stats`: the process's arguments, the server's token blanked out. */
  readonly argv: readonly string[];
  /** Request bodies above this many bytes get 413 (100 MiB unless `ComfyServerOptions.maxUploadSize` says otherwise). */
  readonly maxUploadSize: number;
  /** Where the server reports what it did not answer as asked (an entry it left out). */
  log(line: string): void;
  /** ComfyUI's prompt counter: the default `number` of the next prompt; restarts at 0 with the server. */
  counter: number;
}

/** The folder of an upload or `/view` `type`; undefined for an unknown type. */
export function folderOfType(folders: ServerFolders, type: string): string | undefined {
  if (type === 'input') return folders.inputDir;
  if (type === 'output') return folders.outputDir;
  if (type === 'temp') return folders.tempDir;
  return undefined;
}

/** What logs a member an answer left out because it cannot be written as JSON (httpKit.ts). */
export function leftOutBy(state: ServerState, answer: string): (path: string, error: unknown) => void {
  return (path, error) =>
    state.log(
      `Left out ${path.slice(1)} of ${answer}: it cannot be written as JSON (${(error as Error).message})`,
    );
}
