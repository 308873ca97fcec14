/**
 * wgsl_reflect 1.6 ships types at types/index.d.ts but its CommonJS `main` breaks Node's ESM import,
 * so the engine imports the ES module file directly; this maps that path to the types.
 */
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect/types/index';
}
