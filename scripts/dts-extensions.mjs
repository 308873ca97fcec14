// Gives the relative imports of emitted declarations (dist/lib/types) the explicit `.js`
// extensions that TypeScript's `node16`/`nodenext` resolution requires (`./tensor` becomes
// `./tensor.js`, a folder `./nn` becomes `./nn/index.js`). The sources keep extensionless imports,
// which Vite and `bundler` resolution read; tsc copies them into declarations as written.
// Usage: node scripts/dts-extensions.mjs <dir>
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? 'dist/lib/types');
const relative = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"]*|\.\.?)\2/g;
let rewritten = 0;

/** The `.js` form of a relative specifier, by the declaration file it names; unknown ones fail the build. */
function withExtension(file, spec) {
  const base = resolve(dirname(file), spec);
  if (spec.endsWith('.js')) return spec;
  if (spec.endsWith('.ts') && existsSync(`${base.slice(0, -3)}.d.ts`)) return `${spec.slice(0, -3)}.js`;
  if (existsSync(`${base}.d.ts`)) return `${spec}.js`;
  if (existsSync(join(base, 'index.d.ts'))) return `${spec.replace(/\/$/, '')}/index.js`;
  throw new Error(`${file}: no declaration for the import '${spec}'`);
}

for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const out = text.replace(relative, (_m, lead, quote, spec) => `${lead}${quote}${withExtension(file, spec)}${quote}`);
  if (out !== text) {
    writeFileSync(file, out);
    rewritten++;
  }
}
console.log(`dts-extensions: ${rewritten} declaration files rewritten in ${dir}`);
