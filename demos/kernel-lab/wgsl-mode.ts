/**
 * A WGSL mode for CodeMirror 6, as a stream tokenizer. The npm package @iizukak/codemirror-lang-wgsl
 * (0.3.0) installs, but its `import` export points at dist/index.js, which the package does not ship
 * (only dist/index.cjs), so no bundler resolves it as ES module; and its CommonJS build would load a
 * second copy of @codemirror/state. Highlighting needs only tokens: keywords, types, attributes,
 * builtins, numbers, comments.
 */
import { StreamLanguage, type StringStream } from '@codemirror/language';

const KEYWORDS = new Set(
  'alias break case const const_assert continue continuing default diagnostic discard else enable fn for if let loop override requires return struct switch var while'.split(
    ' ',
  ),
);
const TYPES = new Set(
  'bool f16 f32 i32 u32 vec2 vec3 vec4 mat2x2 mat2x3 mat2x4 mat3x2 mat3x3 mat3x4 mat4x2 mat4x3 mat4x4 array atomic ptr sampler texture_2d uniform storage read read_write workgroup private function'.split(
    ' ',
  ),
);
const BUILTINS = new Set(
  'abs select fma min max clamp sqrt inverseSqrt exp exp2 log log2 pow sign floor ceil round fract dot cross length normalize mix step smoothstep workgroupBarrier storageBarrier arrayLength bitcast countOneBits firstLeadingBit reverseBits extractBits insertBits sin cos tan tanh'.split(
    ' ',
  ),
);

function token(stream: StringStream, state: { comment: boolean }): string | null {
  if (state.comment) {
    if (stream.skipTo('*/')) {
      stream.next();
      stream.next();
      state.comment = false;
    } else stream.skipToEnd();
    return 'comment';
  }
  if (stream.eatSpace()) return null;
  if (stream.match('//')) {
    stream.skipToEnd();
    return 'comment';
  }
  if (stream.match('/*')) {
    state.comment = true;
    return 'comment';
  }
  if (stream.match(/^@[A-Za-z_]\w*/)) return 'meta';
  if (stream.match(/^(0[xX][0-9a-fA-F]+|\d+\.?\d*([eE][+-]?\d+)?|\.\d+)[uif]?h?/)) return 'number';
  if (stream.match(/^[A-Za-z_]\w*/)) {
    const w = stream.current();
    if (KEYWORDS.has(w)) return 'keyword';
    if (TYPES.has(w)) return 'typeName';
    if (BUILTINS.has(w)) return 'builtin';
    if (w === 'true' || w === 'false') return 'atom';
    return 'variableName';
  }
  stream.next();
  return 'operator';
}

/** WGSL for CodeMirror's `StreamLanguage`. */
export const wgsl = StreamLanguage.define<{ comment: boolean }>({
  name: 'wgsl',
  startState: () => ({ comment: false }),
  token,
  languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } } },
});
