/**
 * Shared by the converter's tests: the node definitions (ComfyUI 0.8.0's /object_info plus a few
 * test-only custom nodes), the hand-written fixtures, and small builders for synthetic editor graphs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RunnerError } from '../../../src/core/util/runnerError';
import type { ProblemLocation } from '../../../src/core/util/runnerError';
import type {
  EditorLinkArray,
  EditorNode,
  EditorNodeInput,
  EditorNodeOutput,
  EditorWorkflow,
  NodeDefs,
} from '../../../src/core/workflow/types';
import { transcriptsDir } from '../../fakes/fixturePaths';

const root = path.resolve(__dirname, '../../..');
const fixtureDir = path.join(root, 'test/fixtures/editor');
const objectInfo = path.join(transcriptsDir, 'object_info.json');

let cachedDefs: NodeDefs | undefined;

/** ComfyUI 0.8.0's node definitions plus the test-only custom nodes of test/fixtures/editor/defs. */
export function testDefs(): NodeDefs {
  cachedDefs ??= {
    ...(JSON.parse(readFileSync(objectInfo, 'utf8')) as NodeDefs),
    ...(JSON.parse(readFileSync(path.join(fixtureDir, 'defs/customNodeDefs.json'), 'utf8')) as NodeDefs),
  };
  return cachedDefs;
}

/** The names of the fixtures that have an expected API prompt beside them. */
export function fixtureNames(): string[] {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.api.json'))
    .map((f) => f.slice(0, -'.api.json'.length))
    .sort();
}

/** Reads test/fixtures/editor/NAME.json (or NAME.api.json with `api`). */
export function readFixture<T = EditorWorkflow>(name: string, api = false): T {
  return JSON.parse(readFileSync(path.join(fixtureDir, `${name}${api ? '.api' : ''}.json`), 'utf8')) as T;
}

/** Options of {@link node}. */
export interface NodeOptions {
  mode?: number;
  title?: string;
  inputs?: EditorNodeInput[];
  outputs?: EditorNodeOutput[];
  widgets?: unknown[] | Record<string, unknown>;
}

/** A minimal editor node, as the frontend would save it (position and size included). */
export function node(id: number | string, type: string, options: NodeOptions = {}): EditorNode {
  const n: EditorNode = {
    id,
    type,
    pos: [0, 0],
    size: [200, 100],
    flags: {},
    mode: options.mode ?? 0,
    inputs: options.inputs ?? [],
    outputs: options.outputs ?? [],
    properties: {},
  };
  if (options.title !== undefined) n.title = options.title;
  if (options.widgets !== undefined) n.widgets_values = options.widgets;
  return n;
}

/** An input socket; `widget` marks it as the socket of a widget. */
export function socket(name: string, type: string, link: number | null, widget = false): EditorNodeInput {
  return widget ? { name, type, link, widget: { name } } : { name, type, link };
}

/** An output socket. */
export function output(name: string, type: string, links: number[] = []): EditorNodeOutput {
  return { name, type, links };
}

/** A version 0.4 workflow with array links. */
export function workflow(
  nodes: EditorNode[],
  links: EditorLinkArray[],
  extra: Partial<EditorWorkflow> = {},
): EditorWorkflow {
  return { last_node_id: nodes.length, last_link_id: links.length, nodes, links, version: 0.4, ...extra };
}

/** Runs `fn`, asserts it throws a `bad_input` RunnerError, and returns the error's location. */
export function refusal(fn: () => unknown): ProblemLocation {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof RunnerError, `expected a RunnerError, got ${String(caught)}`);
  assert.equal(caught.reason, 'bad_input');
  return caught.location;
}
