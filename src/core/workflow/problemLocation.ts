/**
 * Where in a workflow's JSON text a problem should be marked. In API format: the line of the node's key
 * (`"3": {`), or of the named input's key inside that node. In editor format: the line of the node's
 * `"id"` inside `"nodes"` (the outer node for a subgraph path such as "12:5"), or of the named input's
 * `"name"` inside that node. The first line when the problem names neither or they are not found.
 */

/** A zero-based line and character span on one line. */
export interface TextSpan {
  line: number;
  startCharacter: number;
  endCharacter: number;
}

/** The span to mark for a problem about `nodeId` (and `inputName`) in the API-format workflow `text`. */
export function locateProblem(text: string, nodeId?: string, inputName?: string): TextSpan {
  let offset = 0;
  if (nodeId !== undefined) {
    const key = new RegExp(`${escapeRegExp(JSON.stringify(String(nodeId)))}\\s*:`);
    const found = key.exec(text);
    if (found) offset = found.index;
    if (found && inputName) {
      const inputKey = new RegExp(`${escapeRegExp(JSON.stringify(inputName))}\\s*:`, 'g');
      inputKey.lastIndex = found.index;
      const input = inputKey.exec(text);
      if (input) offset = input.index;
    }
  }
  return spanAt(text, offset);
}

/** The span to mark for a problem about `nodeId` (and `inputName`) in the editor-format workflow `text`. */
export function locateEditorProblem(text: string, nodeId?: string, inputName?: string): TextSpan {
  if (nodeId === undefined) return spanAt(text, 0);
  const nodes = /"nodes"\s*:\s*\[/g.exec(text);
  if (!nodes) return spanAt(text, 0);
  const outer = String(nodeId).split(':')[0];
  const id = escapeRegExp(outer);
  const idKey = new RegExp(`"id"\\s*:\\s*(?:${id}|"${id}")\\s*[,}\\r\\n]`, 'g');
  idKey.lastIndex = nodes.index;
  const node = idKey.exec(text);
  if (!node) return spanAt(text, 0);
  if (!inputName || outer !== String(nodeId)) return spanAt(text, node.index);
  // The node's inputs list each socket as {"name": ...}; the next object that starts with "id" is the
  // next node, where the search stops.
  const nextNode = /\{\s*"id"\s*:/g;
  nextNode.lastIndex = node.index + node[0].length;
  const end = nextNode.exec(text)?.index ?? text.length;
  const nameKey = new RegExp(`"name"\\s*:\\s*${escapeRegExp(JSON.stringify(inputName))}`, 'g');
  nameKey.lastIndex = node.index;
  const input = nameKey.exec(text);
  return spanAt(text, input && input.index < end ? input.index : node.index);
}

/** From `offset` to the end of its line. */
function spanAt(text: string, offset: number): TextSpan {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const line = countNewlines(text, offset);
  return {
    line,
    startCharacter: offset - lineStart,
    endCharacter: (lineEnd < 0 ? text.length : lineEnd) - lineStart,
  };
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
