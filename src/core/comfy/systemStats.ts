/**
 * What `/system_stats` says about a server now: its ComfyUI version, its memory and each device with its
 * free VRAM. Read leniently: a device whose fields are missing or malformed is shown with what it has.
 */
import type { z } from 'zod';
import type { systemStatsReply } from './replies';

/** One device of a server (a GPU, or `cpu`), as `/system_stats` lists it. */
export interface DeviceStats {
  /** Its name as the server gives it ("cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync"). */
  name: string;
  /** `cuda`, `mps`, `cpu`...; empty when not given. */
  type: string;
  /** Bytes of VRAM in all, when given. */
  vramTotal?: number;
  /** Bytes of VRAM free now, when given. */
  vramFree?: number;
}

/** A server's `/system_stats`, plain JSON. */
export interface SystemStats {
  /** `system.comfyui_version`, when given. */
  version?: string;
  /** System memory in bytes, when given. */
  ramTotal?: number;
  ramFree?: number;
  devices: DeviceStats[];
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function deviceOf(raw: unknown): DeviceStats | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const d = raw as Record<string, unknown>;
  const stats: DeviceStats = {
    name: typeof d.name === 'string' ? d.name : 'device',
    type: typeof d.type === 'string' ? d.type : '',
  };
  const total = numberOr(d.vram_total);
  const free = numberOr(d.vram_free);
  if (total !== undefined) stats.vramTotal = total;
  if (free !== undefined) stats.vramFree = free;
  return stats;
}

/** The stats of a validated `/system_stats` reply. */
export function systemStatsOf(reply: z.output<typeof systemStatsReply>): SystemStats {
  const stats: SystemStats = {
    devices: (reply.devices ?? []).flatMap((d) => deviceOf(d) ?? []),
  };
  if (reply.system.comfyui_version !== undefined) stats.version = reply.system.comfyui_version;
  const ramTotal = numberOr(reply.system.ram_total);
  const ramFree = numberOr(reply.system.ram_free);
  if (ramTotal !== undefined) stats.ramTotal = ramTotal;
  if (ramFree !== undefined) stats.ramFree = ramFree;
  return stats;
}
