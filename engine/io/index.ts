/**
 * Checkpoints (safetensors) and the format's reader and writer, platform-neutral. File helpers live
 * in ./node.ts (Node: atomic writes) and ./browser.ts (download, IndexedDB), imported on their own
 * so that neither platform's bundle pulls in the other's APIs.
 */
export {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  MAX_HEADER_BYTES,
  MAX_TENSORS,
  MAX_METADATA_ENTRIES,
  MAX_RANK,
  type DecodeSafetensorsOptions,
  type NamedTensor,
  type SafetensorsContents,
} from './safetensors';
export {
  saveCheckpoint,
  loadCheckpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  OPTIMIZER_PREFIX,
  crc32,
  type SaveCheckpointOptions,
  type LoadCheckpointOptions,
  type CheckpointInfo,
} from './checkpoint';
export {
  loadTorchStateDict,
  saveTorchStateDict,
  type LoadTorchStateDictOptions,
  type SaveTorchStateDictOptions,
  type TorchLoadInfo,
  type TorchTensorMapping,
} from './torch';
export {
  CALLBACKS_KEY,
  CALLBACK_PREFIX,
  type CallbackState,
  type CallbackValue,
  type LoadedCallbackState,
  type StatefulCallback,
} from './callback-state';
