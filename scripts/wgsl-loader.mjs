// Node module hooks that make `import src from './x.wgsl?raw'` work outside Vite (CLIs run with
// `tsx --import ./scripts/wgsl-loader.mjs`), exactly as Vite and Vitest treat `?raw` imports.
import { register } from 'node:module';

register('./wgsl-loader-hooks.mjs', import.meta.url);
