import assert from 'node:assert/strict';
import { parseServerMessage, type ServerMessage } from '../../../src/core/protocol/comfyMessages';
import { executionMessageSchemas, type ExecutionMessage } from '../../../src/core/protocol/executionMessages';
import { listTranscripts, loadTranscript } from '../../fakes/replayTranscript';

/** The recorded messages of a prompt's execution, in order. */
function recordedExecution(name: string): { seq: number; message: ExecutionMessage }[] {
  const found: { seq: number; message: ExecutionMessage }[] = [];
  for (const line of loadTranscript(name)) {
    if (line.kind === 'ws' && Object.hasOwn(executionMessageSchemas, line.msg.type))
      found.push({ seq: line.seq, message: line.msg as ExecutionMessage });
  }
  return found;
}

/** An execution message is a server message: the compiler checks this line. */
const widen = (message: ExecutionMessage): ServerMessage => message;

describe('execution messages as ComfyUI core sends them', () => {
  for (const name of listTranscripts()) {
    const recorded = recordedExecution(name);
    if (recorded.length === 0) continue;

    it(`${name}: every recorded execution message fits the exact schema, with no field left over`, () => {
      for (const { seq, message } of recorded) {
        const parsed = executionMessageSchemas[message.type].safeParse(message.data);
        assert.ok(parsed.success, `seq ${seq} ${message.type}: ${parsed.error?.message}`);
        assert.deepEqual(parsed.data, message.data, `seq ${seq} ${message.type}`);
      }
    });

    it(`${name}: every recorded execution message parses unchanged as a server message`, () => {
      for (const { seq, message } of recorded) {
        const parsed = parseServerMessage(JSON.stringify(message));
        assert.deepEqual(parsed, { kind: 'message', message: widen(message) }, `seq ${seq}`);
      }
    });
  }

  it('refuses a node state other than running or finished', () => {
    const entry = {
      value: 0,
      max: 1,
      state: 'error',
      node_id: '1',
      prompt_id: 'p',
      display_node_id: '1',
      parent_node_id: null,
      real_node_id: '1',
    };
    const parsed = executionMessageSchemas.progress_state.safeParse({
      prompt_id: 'p',
      nodes: { '1': entry },
    });
    assert.equal(parsed.success, false);
  });

  it('refuses a numeric node id, which only the loose schema turns into a string', () => {
    const data = { nodes: [1], prompt_id: 'p', timestamp: 0 };
    assert.equal(executionMessageSchemas.execution_cached.safeParse(data).success, false);
  });
});
