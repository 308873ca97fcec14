/** The URL of the compact MNIST binary, provided by the `mnist-binary` plugin of vite.config.ts. */
declare module 'virtual:mnist-bin' {
  const url: string;
  export default url;
}
