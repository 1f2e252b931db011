/**
 * Typed calls to the ComfyUI routes the client uses (comfyui-protocol.md section 2). Each one validates the
 * reply at the edge and turns the route's own failure statuses into {@link RunnerError} reasons.
 */
import type * as http from 'node:http';
import { RunnerError } from '../util/runnerError';
import type { ApiPrompt, ComfyErrorItem, ComfyNodeErrors, ValidationResult } from '../workflow/types';
import { type ComfyHttp, parseJsonReply, readBody } from './http';
import {
  type HistoryEntry,
  historyReply,
  type JobReply,
  jobCancelReply,
  jobReply,
  promptAccepted,
  promptRejected,
  type QueueSnapshot,
  queueReply,
  uploadReply,
} from './replies';

/** The body of `POST /prompt`. */
export interface PromptRequest {
  prompt: ApiPrompt;
  client_id?: string;
  prompt_id?: string;
  extra_data?: Record<string, unknown>;
  front?: boolean;
  number?: number;
  partial_execution_targets?: string[];
}

/** A prompt the server queued. `nodeErrors` lists outputs that failed validation and will be skipped. */
export interface PromptQueued {
  promptId: string;
  number: number;
  nodeErrors: Record<string, ComfyNodeErrors>;
}

/** Submits a prompt. 400 throws `prompt_rejected` with a {@link ValidationResult} as details. */
export async function postPrompt(api: ComfyHttp, body: PromptRequest): Promise<PromptQueued> {
  const reply = await api.request({ method: 'POST', route: 'prompt', json: body });
  if (reply.status === 400) throw rejection(reply.body.toString('utf8'));
  const ok = parseJsonReply(reply, promptAccepted, 'POST /prompt');
  return { promptId: ok.prompt_id, number: ok.number, nodeErrors: ok.node_errors };
}

function rejection(text: string): RunnerError {
  let parsed: ReturnType<typeof promptRejected.safeParse> | undefined;
  try {
    parsed = promptRejected.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  const body = parsed?.success ? parsed.data : { error: text.slice(0, 500), node_errors: {} };
  const error: ComfyErrorItem =
    typeof body.error === 'string'
      ? { type: 'prompt_rejected', message: body.error, details: '', extra_info: {} }
      : body.error;
  const result: ValidationResult = { ok: false, error, node_errors: body.node_errors, outputs: [] };
  const [nodeId, first] = Object.entries(body.node_errors)[0] ?? [];
  const inputName = first?.errors[0]?.extra_info.input_name;
  const location = nodeId
    ? {
        nodeId,
        classType: first?.class_type,
        inputName: typeof inputName === 'string' ? inputName : undefined,
      }
    : {};
  const count = Object.keys(body.node_errors).length;
  const suffix = count > 0 ? ` (${count} node${count === 1 ? '' : 's'} with errors)` : '';
  return new RunnerError('prompt_rejected', `${error.message}${suffix}`, location, result);
}

/** `GET /queue`. */
export function getQueue(api: ComfyHttp): Promise<QueueSnapshot> {
  return api.json({ route: 'queue' }, queueReply);
}

/** `GET /history/{id}`: the entry, or undefined while the server does not know it (`{}`). */
export async function getHistoryEntry(api: ComfyHttp, promptId: string): Promise<HistoryEntry | undefined> {
  const reply = await api.json({ route: `history/${encodeURIComponent(promptId)}` }, historyReply);
  return reply[promptId];
}

/** `GET /api/jobs/{id}`: the job, or undefined on 404 (unknown id). Only call it when the server has jobs. */
export async function getJob(api: ComfyHttp, promptId: string): Promise<JobReply | undefined> {
  const reply = await api.request({ route: `jobs/${encodeURIComponent(promptId)}`, prefix: 'apiOnly' });
  if (reply.status === 404) return undefined;
  return parseJsonReply(reply, jobReply, 'GET /api/jobs/{id}');
}

/**
 * `POST /api/jobs/{id}/cancel` (2026-06+): cancels a pending or running job atomically. Answers
 * 'unsupported' when the route does not exist, so the caller can fall back to `/interrupt`.
 */
export async function cancelJob(api: ComfyHttp, promptId: string): Promise<boolean | 'unsupported'> {
  const reply = await api.request({
    method: 'POST',
    route: `jobs/${encodeURIComponent(promptId)}/cancel`,
    prefix: 'apiOnly',
    json: {},
  });
  if (reply.status === 404 || reply.status === 405) return 'unsupported';
  return parseJsonReply(reply, jobCancelReply, 'POST /api/jobs/{id}/cancel').cancelled === true;
}

/** `POST /interrupt {prompt_id}`: interrupts that prompt only if it is the one running. Never global. */
export async function interruptPrompt(api: ComfyHttp, promptId: string): Promise<void> {
  await expectOk(api, { method: 'POST', route: 'interrupt', json: { prompt_id: promptId } });
}

/** `POST /queue {delete: ids}`: removes pending prompts; unknown or running ids are left alone. */
export async function deleteQueued(api: ComfyHttp, promptIds: string[]): Promise<void> {
  await expectOk(api, { method: 'POST', route: 'queue', json: { delete: promptIds } });
}

async function expectOk(api: ComfyHttp, req: Parameters<ComfyHttp['request']>[0]): Promise<void> {
  const reply = await api.request(req);
  if (reply.status < 200 || reply.status >= 300) {
    const body = reply.body.toString('utf8').slice(0, 500);
    throw new RunnerError(
      'protocol',
      `${req.method} ${req.route} answered HTTP ${reply.status}`,
      {},
      { body },
    );
  }
}

/** Where an uploaded image went; use `name` (the server may have renamed it) in the prompt. */
export interface UploadedImage {
  name: string;
  subfolder: string;
  type: string;
  /** The LoadImage widget value: `subfolder/name`, or `name`. */
  widgetValue: string;
}

/** Options of {@link uploadImage}. */
export interface UploadOptions {
  /** `input` (default), `temp` or `output`. */
  type?: string;
  subfolder?: string;
  /** Replace a file of the same name. Default false: the server renames to `name (1).ext`. */
  overwrite?: boolean;
}

/** `POST /upload/image` as multipart/form-data. 413 (too large) and 400 are `bad_input`. */
export async function uploadImage(
  api: ComfyHttp,
  data: Uint8Array | Blob,
  filename: string,
  options: UploadOptions = {},
): Promise<UploadedImage> {
  const form = new FormData();
  // The cast satisfies the DOM typings too (the webview tests type-check core with them), which want a
  // view of an ArrayBuffer; a Blob copies its parts either way.
  form.set('image', data instanceof Blob ? data : new Blob([data as Uint8Array<ArrayBuffer>]), filename);
  form.set('type', options.type ?? 'input');
  if (options.subfolder) form.set('subfolder', options.subfolder);
  if (options.overwrite) form.set('overwrite', 'true');
  // A Request serialises the form with a boundary, as fetch would, without sending anything.
  const encoded = new Request('http://localhost/', { method: 'POST', body: form });
  const body = {
    data: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type')!,
  };
  const reply = await api.request({ method: 'POST', route: 'upload/image', body });
  if (reply.status === 413 || reply.status === 400) {
    const why = reply.status === 413 ? 'is larger than the server accepts' : 'was refused';
    throw new RunnerError(
      'bad_input',
      `The upload of ${filename} ${why}`,
      { file: filename },
      { status: reply.status },
    );
  }
  const up = parseJsonReply(reply, uploadReply, 'POST /upload/image');
  const widgetValue = up.subfolder ? `${up.subfolder}/${up.name}` : up.name;
  return { name: up.name, subfolder: up.subfolder, type: up.type, widgetValue };
}

/** A file the server produced, as listed in an output. */
export interface FileRef {
  filename: string;
  subfolder: string;
  type: string;
}

/**
 * Opens `GET /view` for one file as a stream; anything but 200 is a `protocol` error. `timeoutMs`, when
 * given, replaces the server's request timeout while waiting for the reply.
 */
export async function openView(
  api: ComfyHttp,
  ref: FileRef,
  timeoutMs?: number,
): Promise<http.IncomingMessage> {
  const query = { filename: ref.filename, subfolder: ref.subfolder, type: ref.type };
  const res = await api.stream({ route: 'view', query, timeoutMs });
  if (res.statusCode === 200) return res;
  const body = (await readBody(res, 5_000).catch(() => Buffer.alloc(0))).toString('utf8').slice(0, 200);
  throw new RunnerError(
    'protocol',
    `GET /view ${ref.filename} answered HTTP ${res.statusCode}`,
    {},
    { ref, body },
  );
}
