/**
 * A small static check of WGSL source: which function-scope arrays are indexed by a non-constant
 * expression. SwiftShader (which does not unroll loops) keeps such an array in memory instead of
 * registers, and so do many GPU compilers; the measurement is in the project's notes (private
 * arrays indexed at run time). Used by ./accumulators.test.ts on every registered kernel.
 *
 * What counts as a function-scope array: a parameter, `var` or `let` whose declared type is
 * `array<…>`, whose value is an `array<…>(…)` constructor, or whose value is a call of a function
 * of the same source that returns an array. An index is constant when it is built only from
 * integer literals, operators, module-scope `const`/`override` names (fixed when the pipeline is
 * created) and function-scope `const` names. Text-based on purpose (comments stripped, braces
 * matched): the kernels are ours and plain, and a parser's AST would tie the test to its version.
 */

/** One non-constant index of a function-scope array. */
export interface DynamicIndex {
  /** The function that declares the array. */
  fn: string;
  /** The array's name. */
  array: string;
  /** The index expression, as written. */
  index: string;
  /** Whether the access is inside a loop of that function (or the array is a parameter, whose caller may loop). */
  inLoop: boolean;
}

/** The source without comments (line and block), lengths of other text unchanged where it matters. */
export function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

/** The index of the bracket that closes the one at `open` (`(`, `[`, `{` or `<` not counted). */
function matching(src: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const close = pairs[src[open]];
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === src[open]) depth++;
    else if (src[i] === close && --depth === 0) return i;
  }
  throw new Error(`unbalanced ${src[open]} at ${open}`);
}

interface FnText {
  name: string;
  params: string;
  returns: string;
  body: string;
}

/** Every function of the source: name, parameter list, return type and body (between its braces). */
function functions(src: string): FnText[] {
  const out: FnText[] = [];
  const re = /\bfn\s+(\w+)\s*\(/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const pOpen = m.index + m[0].length - 1;
    const pClose = matching(src, pOpen);
    const bOpen = src.indexOf('{', pClose);
    const bClose = matching(src, bOpen);
    out.push({ name: m[1], params: src.slice(pOpen + 1, pClose), returns: src.slice(pClose + 1, bOpen), body: src.slice(bOpen + 1, bClose) });
    re.lastIndex = bClose;
  }
  return out;
}

/** [start, end) ranges of the bodies of `for`, `while` and `loop` statements in a function body. */
function loopRanges(body: string): [number, number][] {
  const ranges: [number, number][] = [];
  const re = /\b(for|while|loop)\b/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    let from = m.index + m[0].length;
    if (m[1] === 'for') from = matching(body, body.indexOf('(', from)) + 1;
    const open = body.indexOf('{', from);
    ranges.push([open, matching(body, open)]);
  }
  return ranges;
}

const KEYWORDS = new Set(['true', 'false']);

/** Whether an index expression is fixed when the pipeline is created. */
function isConstant(expr: string, constants: ReadonlySet<string>): boolean {
  const stripped = expr.replace(/\b0x[0-9a-fA-F]+[ui]?\b|\b\d+[ui]?\b/g, ' ');
  if (!/^[\s\w()+\-*/%<>&|^~]*$/.test(stripped)) return false;
  const names = stripped.match(/[A-Za-z_]\w*/g) ?? [];
  return names.every((n) => constants.has(n) || KEYWORDS.has(n));
}

/** Every non-constant index of a function-scope array in `source` (a kernel with its libraries). */
export function dynamicPrivateIndices(source: string): DynamicIndex[] {
  const src = stripComments(source);
  const fns = functions(src);
  const arrayFns = new Set(fns.filter((f) => /^\s*->\s*array\s*</.test(f.returns)).map((f) => f.name));
  // Module scope: the text outside every function body.
  let moduleText = src;
  for (const f of fns) moduleText = moduleText.replace(f.body, ' ');
  const moduleConstants = new Set([...moduleText.matchAll(/\b(?:const|override)\s+(\w+)/g)].map((m) => m[1]));
  const found: DynamicIndex[] = [];
  for (const f of fns) {
    const arrays = new Map<string, boolean>(); // name -> is a parameter
    for (const m of f.params.matchAll(/(\w+)\s*:\s*array\s*</g)) arrays.set(m[1], true);
    for (const m of f.body.matchAll(/\b(?:var|let)\s+(\w+)\s*(:\s*array\s*<|=\s*array\s*<|=\s*(\w+)\s*\()/g)) {
      if (!m[3] || arrayFns.has(m[3])) arrays.set(m[1], false);
    }
    if (arrays.size === 0) continue;
    const constants = new Set([...moduleConstants, ...[...f.body.matchAll(/\bconst\s+(\w+)/g)].map((m) => m[1])]);
    const loops = loopRanges(f.body);
    for (const [name, isParam] of arrays) {
      const re = new RegExp(`(?<![\\w.])${name}\\s*\\[`, 'g');
      for (let m = re.exec(f.body); m; m = re.exec(f.body)) {
        const open = m.index + m[0].length - 1;
        const index = f.body.slice(open + 1, matching(f.body, open)).trim();
        if (isConstant(index, constants)) continue;
        const inLoop = isParam || loops.some(([a, b]) => m.index > a && m.index < b);
        found.push({ fn: f.name, array: name, index, inLoop });
      }
    }
  }
  return found;
}
