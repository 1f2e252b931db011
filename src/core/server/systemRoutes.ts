/**
 * What a client asks a server about itself (comfyui-protocol.md 2.9): `/system_stats` (its health check and
 * version), `/features`, `/object_info[/{class}]`, and the lists a frontend reads at start (`/embeddings`,
 * `/extensions`, `/models`), which the embedded engine has none of.
 */
import { freemem, totalmem } from 'node:os';
import { sendEmpty, sendJson } from './httpKit';
import type { Route } from './router';
import type { ServerState } from './serverState';

/** The feature flags ComfyUI 0.8.0 core advertises (`comfy_api/feature_flags.py`), with our upload limit. */
export function serverFeatureFlags(maxUploadSize: number): Record<string, unknown> {
  // Core ComfyUI always advertises the Manager's v4 flag, installed or not; clients may key on it.
  return {
    supports_preview_metadata: true,
    max_upload_size: maxUploadSize,
    extension: { manager: { supports_v4: true } },
  };
}

/** `/system_stats` in ComfyUI's shape; the version names this server, not a ComfyUI release. */
function systemStats(state: ServerState): unknown {
  const ram = { total: totalmem(), free: freemem() };
  return {
    system: {
      os: process.platform,
      ram_total: ram.total,
      ram_free: ram.free,
      comfyui_version: state.version,
      required_frontend_version: '',
      installed_templates_version: null,
      required_templates_version: '',
      python_version: `none: comfy-runner embedded engine on Node.js ${process.version}`,
      pytorch_version: 'none',
      embedded_python: false,
      argv: state.argv,
    },
    devices: [
      {
        name: 'cpu',
        type: 'cpu',
        index: null,
        vram_total: ram.total,
        vram_free: ram.free,
        torch_vram_total: ram.total,
        torch_vram_free: ram.free,
      },
    ],
  };
}

/** The introspection routes. */
export function systemRoutes(state: ServerState): Route[] {
  return [
    { method: 'GET', path: 'system_stats', handle: ({ res }) => sendJson(res, 200, systemStats(state)) },
    { method: 'GET', path: 'features', handle: ({ res }) => sendJson(res, 200, state.featureFlags()) },
    {
      method: 'GET',
      path: 'object_info',
      handle: async ({ res }) => sendJson(res, 200, await state.definitions()),
    },
    {
      method: 'GET',
      path: 'object_info/{class}',
      handle: async ({ res, params }) => {
        const def = (await state.definitions())[params.class];
        sendJson(res, 200, def ? { [params.class]: def } : {});
      },
    },
    { method: 'GET', path: 'embeddings', handle: ({ res }) => sendJson(res, 200, []) },
    { method: 'GET', path: 'extensions', handle: ({ res }) => sendJson(res, 200, []) },
    { method: 'GET', path: 'models', handle: ({ res }) => sendJson(res, 200, []) },
    { method: 'GET', path: 'models/{folder}', handle: ({ res }) => sendEmpty(res, 404) },
  ];
}
