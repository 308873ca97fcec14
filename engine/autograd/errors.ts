/**
 * Errors of the tape.
 */
import { EngineError } from '../runtime/errors';

/** backward() through a graph whose intermediate tensors an earlier backward() already freed. */
export class GraphFreedError extends EngineError {
  constructor(message: string) {
    super('GRAPH_FREED', message);
  }
}
