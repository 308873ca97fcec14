/** The spec the Chromium runner page is bundled with (bench/lab/chromium.ts resolves it). */
declare module 'lab-spec' {
  const spec: unknown;
  export default spec;
}
