/**
 * Where in a workflow's JSON text a problem should be marked: the line of the node's key (`"3": {`),
 * or of the named input's key inside that node; the first line when the problem names neither.
 */

/** A zero-based line and character span on one line. */
export interface TextSpan {
  line: number;
  startCharacter: number;
  endCharacter: number;
}

/** The span to mark for a problem about `nodeId` (and `inputName`) in the workflow `text`. */
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
