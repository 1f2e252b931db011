/**
 * "Did you mean ...?" for misspelt combo values (model files, sampler names) and unknown node classes.
 * A suggestion is only offered when it is plausibly what the user meant; a far-off guess is worse than none.
 */

/** Candidate lists longer than this are only searched for exact and file-name matches, to stay fast. */
const MAX_FUZZY_CANDIDATES = 5000;

/**
 * The candidate closest to `value`, or undefined when none is close enough. In order of preference: a
 * match ignoring case; a candidate with the same file name in another folder ("sd15.safetensors" for
 * "SD1.5/sd15.safetensors", either slash); the nearest by edit distance, ignoring case, allowing about
 * one edit in three characters.
 */
export function closestMatch(value: string, candidates: readonly unknown[]): string | undefined {
  const strings = candidates.filter((c): c is string => typeof c === 'string' && c !== value);
  const lower = value.toLowerCase();
  const sameCase = strings.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const base = baseName(lower);
  const sameFile = base === '' ? undefined : strings.find((c) => baseName(c.toLowerCase()) === base);
  if (sameFile !== undefined) return sameFile;
  if (strings.length > MAX_FUZZY_CANDIDATES || value.length === 0) return undefined;
  return nearest(lower, strings);
}

function nearest(lower: string, strings: string[]): string | undefined {
  let limit = Math.max(1, Math.floor(lower.length / 3));
  let best: string | undefined;
  for (const candidate of strings) {
    const d = editDistance(lower, candidate.toLowerCase(), limit);
    if (d < limit || (d === limit && best === undefined)) {
      best = candidate;
      limit = d;
    }
  }
  return best;
}

function baseName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return path.slice(cut + 1);
}

/**
 * Levenshtein distance between `a` and `b`, or `limit + 1` as soon as it is known to exceed `limit`
 * (two rows, and an early exit when a whole row is over the limit, so long lists stay cheap).
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      rowMin = Math.min(rowMin, current[j]);
    }
    if (rowMin > limit) return limit + 1;
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}

/** {@link closestMatch} with a memory and a budget, for validating one prompt. */
export type Suggester = (value: string, candidates: readonly unknown[]) => string | undefined;

/**
 * A {@link Suggester} that remembers its answers per candidate list and stops searching after
 * `maxSearches` distinct questions, so that a prompt with thousands of bad values stays fast; the first
 * problems, which are the ones a user reads, still get their suggestion.
 * @param maxSearches default 200
 */
export function budgetedSuggester(maxSearches = 200): Suggester {
  const memo = new WeakMap<readonly unknown[], Map<string, string | undefined>>();
  let searches = 0;
  return (value, candidates) => {
    let answers = memo.get(candidates);
    if (!answers) {
      answers = new Map();
      memo.set(candidates, answers);
    }
    if (answers.has(value)) return answers.get(value);
    if (searches >= maxSearches) return undefined;
    searches++;
    const answer = closestMatch(value, candidates);
    answers.set(value, answer);
    return answer;
  };
}
