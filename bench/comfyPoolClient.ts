/**
 * @saintno/comfyui-sdk's ComfyPool as a client of the client-cost bench, when it is installed
 * somewhere: it is not a dependency of ours (its current release brings 212 packages, React and Ink
 * among them), so the bench loads it from the folder `CLIENT_COST_COMFYPOOL` names, e.g. after
 * `npm i --prefix /tmp/cpool @saintno/comfyui-sdk`, `CLIENT_COST_COMFYPOOL=/tmp/cpool/node_modules/@saintno/comfyui-sdk`.
 *
 * Used as its README shows: one ComfyApi per server, a ComfyPool in its default mode (a job goes to a
 * server with nothing queued), each job a CallWrapper over a PromptBuilder whose output is the prompt's
 * last node; on its end every output file is downloaded through `/view` and kept in memory, as the
 * baseline does.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { outputRefs, type UiOutputs } from '../src/core/protocol/outputRefs';
import type { ApiPrompt } from '../src/core/workflow/types';

/** What the bench uses of the SDK, typed here since it is not installed with us. */
interface ComfyApiLike {
  init(maxTries?: number, delayTime?: number): ComfyApiLike;
  waitForReady(): Promise<unknown>;
  destroy(): void;
}
interface Sdk {
  ComfyApi: new (host: string) => ComfyApiLike;
  ComfyPool: new (clients: ComfyApiLike[]) => {
    run<T>(job: (api: ComfyApiLike) => Promise<T>): Promise<T>;
    destroy(): void;
  };
  PromptBuilder: new (
    prompt: ApiPrompt,
    inputs: string[],
    outputs: string[],
  ) => { setOutputNode(key: string, node: string): unknown };
  CallWrapper: new (
    api: ComfyApiLike,
    builder: unknown,
  ) => {
    onFinished(fn: (data: Record<string, unknown>, promptId?: string) => void): unknown;
    onFailed(fn: (err: Error) => void): unknown;
    run(): Promise<unknown>;
  };
}

/** A client of the bench: runs prompts to their end and resolves with their prompt ids. */
export interface BenchClient {
  run(values: number[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Where the SDK is, from the environment; undefined when the bench should leave ComfyPool out. */
export const comfyPoolDir = (): string | undefined => process.env.CLIENT_COST_COMFYPOOL || undefined;

/** Opens a ComfyPool over `urls` whose jobs run `promptOf(value)` and download their outputs. */
export async function openComfyPool(
  dir: string,
  urls: readonly string[],
  promptOf: (value: number) => ApiPrompt,
): Promise<BenchClient> {
  const sdk = (await import(pathToFileURL(join(dir, 'build/index.esm.js')).href)) as Sdk;
  const apis = urls.map((url) => new sdk.ComfyApi(url).init());
  await Promise.all(apis.map((api) => api.waitForReady()));
  const pool = new sdk.ComfyPool(apis);
  const lastNode = (prompt: ApiPrompt) => Object.keys(prompt).at(-1)!;
  /** One job: the prompt of `value` on the server the pool picks, then its outputs through `/view`. */
  const job = (value: number) => async (api: ComfyApiLike) => {
    const prompt = promptOf(value);
    const builder = new sdk.PromptBuilder(prompt, [], ['out']);
    builder.setOutputNode('out', lastNode(prompt));
    const { data, promptId } = await new Promise<{ data: Record<string, unknown>; promptId: string }>(
      (done, fail) => {
        const call = new sdk.CallWrapper(api, builder);
        call.onFinished((result, id) => done({ data: result, promptId: id ?? '' }));
        call.onFailed(fail);
        void call.run();
      },
    );
    const base = urls[apis.indexOf(api)]!;
    const outputs = { [lastNode(prompt)]: data.out } as UiOutputs;
    for (const ref of outputRefs(outputs)) {
      const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
      await (await fetch(`${base}/view?${query}`)).arrayBuffer();
    }
    return promptId;
  };
  return {
    run: (values) => Promise.all(values.map((v) => pool.run(job(v)))),
    close: async () => {
      pool.destroy();
      for (const api of apis) api.destroy();
    },
  };
}
