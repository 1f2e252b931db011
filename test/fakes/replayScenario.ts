/**
 * Turns a recording into a replayable scenario: the frames the server sent, in order, interleaved with
 * "gates" (the client requests that caused what follows: a `POST /prompt`, an interrupt, a queue deletion,
 * an upload), plus what the recorded prompts were and when each one's history became available.
 */
import {
  type HttpLine,
  loadTranscript,
  type TranscriptLine,
  type WsBinaryLine,
  type WsLine,
} from './replayTranscript';

/** A client request that the server's next frames wait for. */
export type GateKind = 'prompt' | 'queue' | 'interrupt' | 'upload' | 'history';

/** One step of the replay. */
export type Entry =
  | { kind: 'ws'; line: WsLine }
  | { kind: 'binary'; line: WsBinaryLine }
  | { kind: 'gate'; gate: GateKind; prompt?: number }
  | { kind: 'mark'; line: HttpLine };

/** A `POST /prompt` of the recording. */
export interface RecordedPrompt {
  ordinal: number;
  line: HttpLine;
  /** The id the recorded server gave it (200 only). */
  recordedId?: string;
  /** The entry index from which its history is available (Infinity: never, e.g. it was dequeued). */
  readyAt: number;
  /** Its recorded `/history/{id}` entry, if any. */
  history?: unknown;
}

/** A recording prepared for replay. */
export interface Scenario {
  name: string;
  recordedClientId: string;
  /** The recorded `feature_flags` answer to the client's hello, if any. */
  featureFlags?: unknown;
  entries: Entry[];
  prompts: RecordedPrompt[];
  /** Recorded GET exchanges for static routes, this scenario's first, then 12_http_misc's. */
  gets: HttpLine[];
  /** Files the server produced, `type/subfolder/filename` to size (64 when no `/view` was recorded). */
  files: Map<string, number>;
  /** The recorded answer to `POST /upload/image`, if the scenario uploads. */
  uploadReply?: unknown;
}

/** The key of a file in {@link Scenario.files}. */
export function fileKey(type: string, subfolder: string, filename: string): string {
  return `${type}/${subfolder}/${filename}`;
}

function gateOf(line: HttpLine): GateKind | undefined {
  if (line.method !== 'POST') return undefined;
  const route = line.path.replace(/^\/api/, '').split('?')[0];
  if (route === '/prompt') return 'prompt';
  if (route === '/queue') return 'queue';
  if (route === '/interrupt') return 'interrupt';
  if (route === '/upload/image') return 'upload';
  if (route === '/history') return 'history';
  return undefined;
}

function promptIdOf(line: TranscriptLine): string | undefined {
  if (line.kind === 'ws') return (line.msg.data as { prompt_id?: string } | null)?.prompt_id ?? undefined;
  if (line.kind === 'ws_binary') return line.metadata?.prompt_id as string | undefined;
  return undefined;
}

const TERMINAL = new Set(['execution_success', 'execution_interrupted']);

function isTerminalFor(line: TranscriptLine, id: string): boolean {
  if (line.kind === 'http')
    return line.method === 'GET' && line.path.startsWith(`/history/${id}`) && hasEntry(line);
  if (line.kind !== 'ws' || promptIdOf(line) !== id) return false;
  const data = line.msg.data as { node?: unknown; exception_type?: string };
  if (TERMINAL.has(line.msg.type)) return true;
  if (line.msg.type === 'execution_error') return data.exception_type !== 'ExecutionBlocked';
  return line.msg.type === 'executing' && data.node === null;
}

function hasEntry(line: HttpLine): boolean {
  return typeof line.response === 'object' && line.response !== null && Object.keys(line.response).length > 0;
}

function splitPreamble(lines: TranscriptLine[]): { preamble: TranscriptLine[]; rest: TranscriptLine[] } {
  const first = lines.findIndex((l) => l.kind === 'http');
  const cut = first < 0 ? lines.length : first;
  return { preamble: lines.slice(0, cut), rest: lines.slice(cut) };
}

function buildEntries(rest: TranscriptLine[]): {
  entries: Entry[];
  prompts: RecordedPrompt[];
  origin: number[];
} {
  const entries: Entry[] = [];
  const prompts: RecordedPrompt[] = [];
  const origin: number[] = [];
  rest.forEach((line, i) => {
    let entry: Entry | undefined;
    if (line.kind === 'ws') entry = { kind: 'ws', line };
    else if (line.kind === 'ws_binary') entry = { kind: 'binary', line };
    else if (line.kind === 'http') {
      const gate = gateOf(line);
      if (gate === 'prompt') {
        const recordedId = (line.response as { prompt_id?: string } | undefined)?.prompt_id;
        prompts.push({ ordinal: prompts.length, line, recordedId, readyAt: Infinity });
        entry = { kind: 'gate', gate, prompt: prompts.length - 1 };
      } else entry = gate ? { kind: 'gate', gate } : { kind: 'mark', line };
    }
    if (entry) {
      entries.push(entry);
      origin.push(i);
    }
  });
  return { entries, prompts, origin };
}

function findHistory(rest: TranscriptLine[], id: string): unknown {
  for (const line of rest) {
    if (line.kind !== 'http' || line.method !== 'GET' || !line.path.startsWith('/history')) continue;
    const entry = (line.response as Record<string, unknown> | undefined)?.[id];
    if (entry) return entry;
  }
  return undefined;
}

function locateReadiness(rest: TranscriptLine[], origin: number[], prompt: RecordedPrompt): void {
  const id = prompt.recordedId;
  if (!id) return;
  prompt.history = findHistory(rest, id);
  if (!prompt.history) return;
  const at = rest.findIndex((l) => isTerminalFor(l, id));
  if (at < 0) return;
  // Ready once the replay has passed the entry recorded at (or just after) that line.
  const entry = origin.findIndex((o) => o >= at);
  prompt.readyAt = entry < 0 ? origin.length : entry + 1;
}

function collectFiles(lines: TranscriptLine[]): Map<string, number> {
  const files = new Map<string, number>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as { filename?: unknown; subfolder?: unknown; type?: unknown };
      if (typeof o.filename === 'string' && typeof o.type === 'string') {
        files.set(fileKey(o.type, String(o.subfolder ?? ''), o.filename), 64);
      }
      Object.values(v).forEach(visit);
    }
  };
  for (const line of lines) {
    if (line.kind === 'ws') visit(line.msg);
    if (line.kind === 'http' && line.response) visit(line.response);
    if (line.kind === 'http' && line.path.startsWith('/view') && line.response_length !== undefined) {
      const q = new URL(line.path, 'http://x').searchParams;
      const key = fileKey(q.get('type') ?? 'output', q.get('subfolder') ?? '', q.get('filename') ?? '');
      files.set(key, line.response_length);
    }
  }
  return files;
}

function recordedGets(lines: TranscriptLine[]): HttpLine[] {
  return lines.filter((l): l is HttpLine => l.kind === 'http' && l.method === 'GET');
}

/** Prepares a recording for replay. */
export function loadScenario(name: string): Scenario {
  const lines = loadTranscript(name);
  const note = lines.find((l) => l.kind === 'note' && l.text.includes('client_id'));
  const recordedClientId = note?.kind === 'note' ? (/client_id (\S+)/.exec(note.text)?.[1] ?? '') : '';
  const { preamble, rest } = splitPreamble(lines);
  const flags = preamble.find((l) => l.kind === 'ws' && l.msg.type === 'feature_flags');
  const { entries, prompts, origin } = buildEntries(rest);
  for (const p of prompts) locateReadiness(rest, origin, p);
  const profile = name === '12_http_misc' ? [] : recordedGets(loadTranscript('12_http_misc'));
  return {
    name,
    recordedClientId,
    featureFlags: flags?.kind === 'ws' ? flags.msg.data : undefined,
    entries,
    prompts,
    gets: [...recordedGets(lines), ...profile],
    files: collectFiles(lines),
    uploadReply: (lines.find((l) => l.kind === 'http' && l.path === '/upload/image') as HttpLine | undefined)
      ?.response,
  };
}
