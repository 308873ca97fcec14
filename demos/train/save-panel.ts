/**
 * The "Save / load" panel: a button that downloads the model as a safetensors file (and leaves a
 * link to it), a file input that loads one back, so that a visitor can skip training, and a pair of
 * buttons that keep one model in this browser (IndexedDB) and restore it after a reload.
 */

/** What the page does with the panel. */
export interface SavePanel {
  /** Keeps a link to `bytes` named `name` (the download itself is started by the page). Returns the link's URL. */
  offer(name: string, bytes: Uint8Array): string;
  status(text: string, error?: boolean): void;
  /** The line about the model kept in this browser (null: none); Restore is enabled when there is one. */
  stored(text: string | null, restorable?: boolean): void;
  readonly fileInput: HTMLInputElement;
}

/** What the panel's controls do. */
export interface SavePanelActions {
  save(): void;
  load(file: File): void;
  store(): void;
  restore(): void;
}

/** Builds the panel into `parent`. */
export function savePanel(parent: HTMLElement, actions: SavePanelActions): SavePanel {
  const panel = document.createElement('section');
  panel.className = 'panel save';
  const h = document.createElement('h2');
  h.textContent = '3 · Save or load a trained model';
  const button = (text: string, role: string, onClick: () => void): HTMLButtonElement => {
    const b = document.createElement('button');
    b.textContent = text;
    b.dataset.role = role;
    b.addEventListener('click', onClick);
    return b;
  };
  const row = document.createElement('div');
  row.className = 'controls save-row';
  const save = button('⬇ Save model', 'save', actions.save);
  const link = document.createElement('a');
  link.className = 'download';
  link.hidden = true;
  const loadLabel = document.createElement('label');
  loadLabel.textContent = 'Load a model: ';
  const fileInput = document.createElement('input');
  fileInput.type = 'file';
  fileInput.accept = '.safetensors,application/octet-stream';
  fileInput.name = 'checkpoint';
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) actions.load(f);
    fileInput.value = '';
  });
  loadLabel.append(fileInput);
  row.append(save, link, loadLabel);

  const browserRow = document.createElement('div');
  browserRow.className = 'controls save-row';
  const store = button('Save in this browser', 'store', actions.store);
  const restore = button('Restore', 'restore', actions.restore);
  restore.disabled = true;
  const storedLine = document.createElement('span');
  storedLine.className = 'note stored';
  storedLine.textContent = 'Nothing kept in this browser yet.';
  browserRow.append(store, restore, storedLine);

  const status = document.createElement('p');
  status.className = 'note';
  status.textContent =
    'The .safetensors file holds every parameter and buffer (weights, biases, batch-norm running statistics) as exact F32 tensors under their layer names (Python’s safetensors package reads it), with the settings and sizes needed to rebuild the same network in its metadata. Loading one replaces the current network; training can continue from it (with a fresh optimizer state). “Save in this browser” keeps one model in IndexedDB, so it survives a reload.';
  panel.append(h, row, browserRow, status);
  parent.append(panel);
  let url: string | null = null;
  return {
    fileInput,
    offer(name, bytes) {
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      link.href = url;
      link.download = name;
      link.textContent = `${name} (${(bytes.length / 1e6).toFixed(2)} MB)`;
      link.hidden = false;
      return url;
    },
    status(text, error = false) {
      status.textContent = text;
      status.classList.toggle('error', error);
    },
    stored(text, restorable = text !== null) {
      storedLine.textContent = text ?? 'Nothing kept in this browser yet.';
      restore.disabled = !restorable;
    },
  };
}
