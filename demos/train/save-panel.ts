/**
 * The "Save / load" panel: a button that writes the model to a JSON file (and leaves a download
 * link), and a file input that loads one back, so that a visitor can skip training.
 */

/** What the page does with the panel. */
export interface SavePanel {
  /** Offers `text` as a download named `name` (and starts the download). Returns the link's URL. */
  offer(name: string, text: string): string;
  status(text: string, error?: boolean): void;
  readonly fileInput: HTMLInputElement;
}

/** Builds the panel into `parent`. */
export function savePanel(parent: HTMLElement, onSave: () => void, onLoad: (file: File) => void): SavePanel {
  const panel = document.createElement('section');
  panel.className = 'panel save';
  const h = document.createElement('h2');
  h.textContent = '3 · Save or load a trained model';
  const row = document.createElement('div');
  row.className = 'controls save-row';
  const save = document.createElement('button');
  save.textContent = '⬇ Save model';
  save.dataset.role = 'save';
  save.addEventListener('click', onSave);
  const link = document.createElement('a');
  link.className = 'download';
  link.hidden = true;
  const loadLabel = document.createElement('label');
  loadLabel.textContent = 'Load a model: ';
  const fileInput = document.createElement('input');
  fileInput.type = 'file';
  fileInput.accept = '.json,application/json';
  fileInput.name = 'checkpoint';
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) onLoad(f);
    fileInput.value = '';
  });
  loadLabel.append(fileInput);
  row.append(save, link, loadLabel);
  const status = document.createElement('p');
  status.className = 'note';
  status.textContent =
    'The file holds every parameter and buffer (exportState(): weights, biases, batch-norm running statistics) as exact f32 values, with the settings and sizes needed to rebuild the same network. Loading one replaces the current network; training can continue from it (with a fresh optimizer state).';
  panel.append(h, row, status);
  parent.append(panel);
  let url: string | null = null;
  return {
    fileInput,
    offer(name, text) {
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      link.href = url;
      link.download = name;
      link.textContent = `${name} (${(text.length / 1e6).toFixed(2)} MB)`;
      link.hidden = false;
      link.click();
      return url;
    },
    status(text, error = false) {
      status.textContent = text;
      status.classList.toggle('error', error);
    },
  };
}
