// Node set-up of the repository's CLIs (`tsx --import ./scripts/wgsl-loader.mjs`): module hooks that
// make `import src from './x.wgsl?raw'` work outside Vite, exactly as Vite and Vitest treat `?raw`
// imports, and the engine's Node platform (Dawn's WebGPU, the `mnist` package), as the package's
// Node entry installs it. Runs under tsx, which loads the TypeScript file.
import { register } from 'node:module';

register('./wgsl-loader-hooks.mjs', import.meta.url);
await import('../engine/node-platform.ts');
