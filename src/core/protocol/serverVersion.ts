/**
 * What a server's `system_stats.system.comfyui_version` tells a client about the prompt fields it
 * honours. Most features are found by asking (comfy/serverCapabilities.ts); `partial_execution_targets`
 * has no feature flag, and a server that does not know the field ignores it and runs the whole prompt,
 * so the version is the only sign. It arrived in ComfyUI 0.3.48 (PR #9123, merged 2025-07-30, after the
 * 0.3.47 release); our own server has it and says so in its version string.
 */

/** The end of the version string `comfy-runner serve` reports: the embedded engine answers. */
export const EMBEDDED_ENGINE_MARK = '(embedded engine)';

/** The version string the embedded engine's server reports for runner version `runnerVersion`. */
export function embeddedVersionString(runnerVersion: string): string {
  return `comfy-runner ${runnerVersion} ${EMBEDDED_ENGINE_MARK}`;
}

/** True for a version string of `comfy-runner serve` ({@link embeddedVersionString}). */
export function isEmbeddedVersion(version: unknown): boolean {
  return (
    typeof version === 'string' &&
    version.startsWith('comfy-runner ') &&
    version.endsWith(EMBEDDED_ENGINE_MARK)
  );
}

/** The first ComfyUI release that runs only the `partial_execution_targets` of a prompt. */
const PARTIAL_TARGETS_SINCE = [0, 3, 48] as const;

/**
 * True when a server reporting `version` runs only a prompt's `partial_execution_targets` (and what
 * they need): ComfyUI 0.3.48 or later (`0.3.48`, `v0.4.0`, `0.8.0-rc1`), or our embedded engine. False
 * for an older, unknown or missing version: such a server is sent a prompt pruned to the targets.
 */
export function runsPartialTargets(version: string | undefined): boolean {
  if (version === undefined) return false;
  if (isEmbeddedVersion(version)) return true;
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return false;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3])];
  for (let i = 0; i < 3; i++) {
    if (parts[i] !== PARTIAL_TARGETS_SINCE[i]) return parts[i] > PARTIAL_TARGETS_SINCE[i];
  }
  return true;
}
