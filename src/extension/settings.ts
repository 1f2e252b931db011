/**
 * The extension's settings, read from VS Code's configuration into plain objects, and the credentials
 * of each server from SecretStorage (never from settings). The mapping is all here so that a changed
 * setting means one place to look.
 */
import * as vscode from 'vscode';
import { downloadLimitsOf } from '../core/run/downloadSettings';
import type { RunnerOptions } from '../core/run/runner';
import type { ServerCredentials, ServerSettings } from '../core/run/serverSettings';

/** The configuration section of every setting. */
export const SECTION = 'comfyuiRunner';

/** A server as the `comfyuiRunner.servers` setting lists it. */
export interface ServerSetting {
  name?: string;
  url: string;
  slots?: number;
  tags?: string[];
  enabled?: boolean;
  headers?: Record<string, string>;
}

/** The settings the runner is opened with. */
export interface RunnerConfig {
  /** The servers besides the embedded engine, as configured. */
  servers: ServerSetting[];
  /** The most jobs on servers at once; 0 means no cap. */
  maxConcurrentJobs: number;
  /** The folder of run folders and the store, relative to the workspace folder. */
  outputFolder: string;
  /** Whether a submission no configured server accepted (unreachable, timed out) is sent again. */
  retryUnaccepted: boolean;
  /** Limits on each output downloaded from a server; a limit not set (or not above 0) keeps its default. */
  downloads: NonNullable<RunnerOptions['downloads']>;
  /** Prompts the embedded engine runs at once (its server's `--parallel`), a whole number from 1. */
  engineSlots: number;
}

/** Submissions of one job in all when {@link RunnerConfig.retryUnaccepted} is on: two retries. */
export const UNACCEPTED_ATTEMPTS = 3;

/** Reads the runner's settings. */
export function readRunnerConfig(): RunnerConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    servers: c.get<ServerSetting[]>('servers', []).filter((s) => typeof s?.url === 'string' && s.url !== ''),
    maxConcurrentJobs: c.get<number>('scheduler.maxConcurrentJobs', 0),
    outputFolder: c.get<string>('outputs.folder', 'comfy-runs') || 'comfy-runs',
    retryUnaccepted: c.get<boolean>('scheduler.retryUnaccepted', false) === true,
    downloads: downloadLimits(c),
    engineSlots: engineSlotsOf(c.get<unknown>('engine.slots', 1)),
  };
}

/** The most prompts the engine's server is started with (the setting's `maximum`). */
export const MAX_ENGINE_SLOTS = 16;

/** `engine.slots` as a whole number from 1 to {@link MAX_ENGINE_SLOTS}: above it, the most; anything else, 1. */
function engineSlotsOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return 1;
  return Math.min(value, MAX_ENGINE_SLOTS);
}

/** The download settings that change a runner's limits, by their key in the section. */
export const DOWNLOAD_SETTINGS = [
  'outputs.downloadStallTimeoutSeconds',
  'outputs.downloadDeadlineSeconds',
  'outputs.maxFileMegabytes',
] as const;

/** The download limits of the settings, in the runner's units (ms and bytes); only those set above 0. */
function downloadLimits(c: vscode.WorkspaceConfiguration): RunnerConfig['downloads'] {
  const positive = (key: (typeof DOWNLOAD_SETTINGS)[number]): number | undefined => {
    const v = c.get<unknown>(key);
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const [stallTimeoutSeconds, deadlineSeconds, maxFileMegabytes] = DOWNLOAD_SETTINGS.map(positive);
  return downloadLimitsOf({ stallTimeoutSeconds, deadlineSeconds, maxFileMegabytes });
}

/** The SecretStorage key of a server's credentials. */
export function credentialsKey(url: string): string {
  return `${SECTION}.credentials:${url.replace(/\/+$/, '')}`;
}

/** The servers of the pool with their credentials from SecretStorage. */
export async function serverSettings(
  config: RunnerConfig,
  secrets: vscode.SecretStorage,
): Promise<ServerSettings[]> {
  return Promise.all(
    config.servers.map(async (s) => {
      const stored = await secrets.get(credentialsKey(s.url));
      const credentials = stored ? (JSON.parse(stored) as ServerCredentials) : undefined;
      return {
        url: s.url,
        name: s.name,
        slots: s.slots,
        tags: s.tags,
        enabled: s.enabled,
        headers: s.headers,
        credentials,
        autoRetry: config.retryUnaccepted ? { maxAttempts: UNACCEPTED_ATTEMPTS } : undefined,
      };
    }),
  );
}
