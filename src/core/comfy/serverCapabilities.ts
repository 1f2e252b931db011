/**
 * What a ComfyUI server can do, found by asking rather than by version numbers (comfyui-protocol.md 7 #14):
 * `/system_stats` for the version (and as a health check), `/features` for feature flags, and whether
 * `/api/jobs` answers at all.
 */
import { isRunnerError } from '../util/runnerError';
import type { ComfyHttp } from './http';
import { parseJsonReply } from './http';
import { featuresReply, jobsListReply, systemStatsReply } from './replies';

/** What we learnt about a server. */
export interface ServerCapabilities {
  /** `system.comfyui_version`, if the server reports one. */
  version?: string;
  /** `/features`; empty for servers without feature flags (before 2025-07). */
  features: Record<string, unknown>;
  /** `/api/jobs` exists (2025-12+): jobs can be looked up, and perhaps cancelled, by id. */
  jobsApi: boolean;
  /** `features.max_upload_size` in bytes, when advertised. */
  maxUploadSize?: number;
}

async function readFeatures(api: ComfyHttp): Promise<Record<string, unknown>> {
  const reply = await api.request({ route: 'features' });
  if (reply.status === 404) return {};
  return parseJsonReply(reply, featuresReply, 'GET /features');
}

async function hasJobsApi(api: ComfyHttp): Promise<boolean> {
  const reply = await api.request({ route: 'jobs', query: { limit: '1' }, prefix: 'apiOnly' });
  if (reply.status === 404 || reply.status === 405) return false;
  // A 200 that does not look like the jobs list is some other route (a proxy's page): no jobs API.
  try {
    parseJsonReply(reply, jobsListReply, 'GET /api/jobs');
    return true;
  } catch (e) {
    if (isRunnerError(e, 'protocol')) return false;
    throw e;
  }
}

/**
 * Asks a server what it supports. Throws `server_unreachable`, `auth` or `timeout` when the server cannot
 * be used at all, and `protocol` when `/system_stats` is not a ComfyUI answer.
 */
export async function detectCapabilities(api: ComfyHttp): Promise<ServerCapabilities> {
  const stats = await api.json({ route: 'system_stats' }, systemStatsReply);
  const [features, jobsApi] = await Promise.all([readFeatures(api), hasJobsApi(api)]);
  const max = features.max_upload_size;
  return {
    version: stats.system.comfyui_version,
    features,
    jobsApi,
    maxUploadSize: typeof max === 'number' ? max : undefined,
  };
}
