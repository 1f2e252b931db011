/**
 * What each server of the servers overview (serversOverview.ts) says: a line for the server (health,
 * version, jobs, free VRAM) and detail lines under it (each device, the system memory, why it cannot run
 * the workflow the user looks at). Plain text, for any front end.
 */
import type { DeviceStats } from '../comfy/systemStats';
import { healthOf, type ServerEntry, type ServerHealth } from './serversOverview';

/** A server's line. */
export interface ServerItem {
  id: string;
  label: string;
  description: string;
  tooltip: string;
  health: ServerHealth;
  /**
   * `server-<health>`, then `remote` for a ComfyUI server (not the engine) and `incapable` when it
   * cannot run the workflow the user looks at.
   */
  contextValue: string;
}

/** A detail line under a server. */
export interface ServerDetail {
  id: string;
  label: string;
  description: string;
  kind: 'device' | 'memory' | 'incapable' | 'unknown' | 'error';
}

/** The most reasons listed under a server before the rest are counted. */
const MAX_REASONS = 5;

/** A server's line; `workflow` names the file the verdicts are about. */
export function serverItem(entry: ServerEntry, workflow: string | undefined): ServerItem {
  const { view } = entry;
  const { health, text } = healthOf(entry);
  const jobs = jobsText(entry);
  const free = freeVram(entry);
  const cannot = entry.verdict?.verdict === 'incapable' && workflow ? `cannot run ${baseName(workflow)}` : '';
  const description = [text, versionOf(entry), jobs, free, cannot].filter(Boolean).join(' · ');
  const tooltip = [
    view.name === 'embedded' ? 'embedded engine (runs model-free workflows in the editor)' : view.name,
    `Health: ${text}`,
    `Version: ${versionOf(entry) ?? 'not known yet'}`,
    `Slots: ${view.slots}${view.prefetch ? ' (+1 prefetched)' : ''}`,
    `Jobs: ${entry.running} running, ${entry.queued} queued on it`,
    ...(view.tags.length > 0 ? [`Tags: ${view.tags.join(', ')}`] : []),
    ...(cannot ? [`Cannot run ${workflow}: ${entry.verdict!.reasons.join('; ')}`] : []),
  ].join('\n');
  const tokens = [
    `server-${health}`,
    view.name === 'embedded' ? 'engine' : 'remote',
    cannot ? 'incapable' : '',
  ];
  const contextValue = tokens.filter(Boolean).join(' ');
  return { id: `server:${view.name}`, label: view.name, description, tooltip, health, contextValue };
}

/** The detail lines under a server: why it cannot run the workflow first, then its devices and memory. */
export function serverDetails(entry: ServerEntry, workflow: string | undefined): ServerDetail[] {
  const name = entry.view.name;
  const details: ServerDetail[] = [...verdictDetails(entry, workflow)];
  const stats = entry.stats;
  if (stats && !stats.ok) {
    details.push({ id: `${name}:stats`, label: 'System stats', description: stats.message, kind: 'error' });
    return details;
  }
  for (const [i, d] of (stats?.stats.devices ?? []).entries()) {
    details.push({ id: `${name}:device:${i}`, label: d.name, description: deviceText(d), kind: 'device' });
  }
  const s = stats?.stats;
  if (s?.ramTotal !== undefined && s.ramFree !== undefined && name !== 'embedded') {
    const ram = `${number(s.ramFree)} of ${gb(s.ramTotal)} free`;
    details.push({ id: `${name}:ram`, label: 'System memory', description: ram, kind: 'memory' });
  }
  return details;
}

function verdictDetails(entry: ServerEntry, workflow: string | undefined): ServerDetail[] {
  const v = entry.verdict;
  if (!v || !workflow) return [];
  const file = baseName(workflow);
  const id = `${entry.view.name}:verdict`;
  if (v.verdict === 'unknown')
    return [{ id, label: file, description: 'node definitions not read yet', kind: 'unknown' }];
  if (v.verdict !== 'incapable') return [];
  const shown = v.reasons.slice(0, MAX_REASONS);
  const rest = v.reasons.length - shown.length;
  const lines = shown.map((reason, i) => ({
    id: `${id}:${i}`,
    label: i === 0 ? `Cannot run ${file}` : '',
    description: reason,
    kind: 'incapable' as const,
  }));
  if (rest > 0)
    lines.push({ id: `${id}:more`, label: '', description: `and ${rest} more`, kind: 'incapable' });
  return lines;
}

function jobsText(entry: ServerEntry): string {
  if (entry.running === 0 && entry.queued === 0) return '';
  return `${entry.running} running, ${entry.queued} queued`;
}

function versionOf(entry: ServerEntry): string | undefined {
  if (entry.view.name === 'embedded') return 'embedded engine';
  const version = (entry.stats?.ok ? entry.stats.stats.version : undefined) ?? entry.view.version;
  return version === undefined ? undefined : `ComfyUI ${version}`;
}

/** The free VRAM of the first GPU; nothing for a server of CPUs alone (the engine). */
function freeVram(entry: ServerEntry): string {
  const gpu = entry.stats?.ok ? entry.stats.stats.devices.find((d) => d.type !== 'cpu') : undefined;
  return gpu?.vramFree === undefined ? '' : `${gb(gpu.vramFree)} free`;
}

function deviceText(d: DeviceStats): string {
  if (d.vramFree === undefined) return d.type;
  if (d.vramTotal === undefined) return `${gb(d.vramFree)} free`;
  return `${number(d.vramFree)} of ${gb(d.vramTotal)} free`;
}

/** Bytes as gigabytes with one decimal (1024³ bytes, as ComfyUI's own UI counts them). */
export function gb(bytes: number): string {
  return `${number(bytes)} GB`;
}

/** Gigabytes without the unit, for "18.3 of 24.0 GB". */
function number(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
