/** WGSL files imported as text (`import src from './x.wgsl?raw'`). */
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
