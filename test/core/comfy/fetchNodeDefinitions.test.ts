import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ComfyHttp } from '../../../src/core/comfy/http';
import { fetchNodeDefinitions } from '../../../src/core/comfy/fetchNodeDefinitions';
import { resolveServer } from '../../../src/core/comfy/serverConfig';
import { isRunnerError } from '../../../src/core/util/runnerError';
import { transcriptsDir } from '../../fakes/fixturePaths';
import { type Loopback, startLoopback } from './loopback';

const recorded = readFileSync(resolve(transcriptsDir, 'object_info.json'), 'utf8');

describe('fetchNodeDefinitions', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** The HTTP layer of a loopback server answering `/object_info` with `text`, and what it logged. */
  async function serving(text: string) {
    server = await startLoopback(() => ({ status: 200, text }));
    const logged: string[] = [];
    const api = new ComfyHttp(resolveServer({ baseUrl: server.origin }));
    const log = (level: string, message: string) => void logged.push(`${level}: ${message}`);
    return { fetch: () => fetchNodeDefinitions(api, log), logged };
  }

  it('reads every class of ComfyUI 0.8.0’s /object_info as the server sent it', async () => {
    const { fetch, logged } = await serving(recorded);
    const defs = await fetch();
    assert.deepEqual(defs, JSON.parse(recorded));
    assert.deepEqual(logged, []);
    assert.equal(server!.seen[0]!.url, '/api/object_info');
  });

  it('leaves out and logs a class whose definition is malformed, keeping the others', async () => {
    const good = { input: { required: { image: ['IMAGE'] } }, output: [], name: 'Good' };
    const { fetch, logged } = await serving(
      JSON.stringify({ Good: good, NoInput: { output: [] }, BadSpec: { input: { required: { x: 'INT' } } } }),
    );
    const defs = await fetch();
    assert.deepEqual(Object.keys(defs), ['Good']);
    assert.deepEqual(logged, [
      'warn: Leaving out node class NoInput: its definition is malformed',
      'warn: Leaving out node class BadSpec: its definition is malformed',
    ]);
  });

  it('gives the fields a definition leaves out ComfyUI’s empty values and keeps unknown ones', async () => {
    const { fetch } = await serving(JSON.stringify({ Bare: { input: {}, future_field: 1 } }));
    assert.deepEqual((await fetch()).Bare, {
      input: {},
      output: [],
      output_is_list: [],
      output_name: [],
      name: '',
      display_name: null,
      description: '',
      python_module: '',
      category: '',
      output_node: false,
      future_field: 1,
    });
  });

  it('keeps a class named __proto__ as a class of its own', async () => {
    const { fetch } = await serving('{"__proto__": {"input": {}}}');
    const defs = await fetch();
    assert.ok(Object.prototype.hasOwnProperty.call(defs, '__proto__'));
    assert.equal(Object.getPrototypeOf(defs), Object.prototype);
  });

  it('fails with protocol when the reply is not a map of definitions', async () => {
    const { fetch } = await serving('42');
    await assert.rejects(fetch(), (e: unknown) => isRunnerError(e, 'protocol'));
  });
});
