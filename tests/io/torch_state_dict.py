"""The Python half of tests/io/torch.test.ts: writes the state_dict of a PyTorch nn.Sequential as
`safetensors.torch.save_file` does, without torch (the local package index has only the CUDA build
of torch, several GB with its dependencies, too much for scripts/setup-system.sh):

  - names `<prefix><index>.<field>`, the index counting every module of the Sequential, parameter-free
    ones included (so `0.weight`, `3.weight` for Linear, ReLU, Dropout, Linear);
  - nn.Linear's weight [out, in] and bias [out]; nn.BatchNorm1d's weight, bias, running_mean,
    running_var [features] and num_batches_tracked (a 0-d int64, as torch keeps it);
  - float32 unless asked otherwise (a model.double() gives float64), metadata {"format": "pt"}.

It also computes the model's eval-mode forward pass in float64 (numpy) from the float32 values, as
PyTorch's nn.Linear does it: x @ W.T + b, ReLU, Dropout as the identity, BatchNorm1d with its
running statistics and eps 1e-5.

  torch_state_dict.py SPEC.json OUTDIR    SPEC: {"cases": [{"name", "modules", "prefix", "seed", "rows",
                                          "dtype"?, "num_batches_tracked"?}]}, a module one of
                                          ["linear", in, out, bias], ["batchnorm", n], ["relu"], ["dropout"];
                                          writes OUTDIR/<name>.safetensors for each and prints, by name,
                                          interop.py's report of the file plus "x" (float32 bits of the
                                          inputs, [rows, in]) and "trace" (the float64 activations after
                                          each module, row-major)

Values travel as float32 bit patterns (tensors, inputs) or float64 numbers (the trace).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop import describe, metadata_of  # noqa: E402  (exits with advice when numpy/safetensors are missing)

import numpy as np  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

EPS = 1e-5


def build(case):
    rng = np.random.default_rng(case["seed"])
    dtype = np.dtype(case.get("dtype", "float32"))
    counter = case.get("num_batches_tracked")
    prefix = case.get("prefix", "")
    tensors = {}
    layers = []  # (kind, float32 arrays) for the reference forward
    for index, module in enumerate(case["modules"]):
        kind, name = module[0], f"{prefix}{index}."
        if kind == "linear":
            n_in, n_out, bias = module[1], module[2], module[3]
            # nn.Linear's own initialization range, U(-1/sqrt(in), 1/sqrt(in)), keeps activations O(1)
            bound = 1 / np.sqrt(n_in)
            w = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
            b = rng.uniform(-bound, bound, n_out).astype(np.float32) if bias else None
            tensors[name + "weight"] = w
            if bias:
                tensors[name + "bias"] = b
            layers.append(("linear", w, b))
        elif kind == "batchnorm":
            n = module[1]
            gamma = rng.uniform(0.5, 1.5, n).astype(np.float32)
            beta = rng.uniform(-0.5, 0.5, n).astype(np.float32)
            mean = rng.uniform(-0.5, 0.5, n).astype(np.float32)
            var = rng.uniform(0.5, 2.0, n).astype(np.float32)
            tensors.update({name + "weight": gamma, name + "bias": beta, name + "running_mean": mean, name + "running_var": var})
            if counter is not None:
                tensors[name + "num_batches_tracked"] = np.array(7, dtype=np.dtype(counter))
            layers.append(("batchnorm", gamma, beta, mean, var))
        else:
            layers.append((kind,))
    n_in = next(m[1] for m in case["modules"] if m[0] in ("linear", "batchnorm"))
    x = rng.standard_normal((case["rows"], n_in)).astype(np.float32)
    trace = []
    h = x.astype(np.float64)
    for layer in layers:
        if layer[0] == "linear":
            h = h @ layer[1].astype(np.float64).T + (0 if layer[2] is None else layer[2].astype(np.float64))
        elif layer[0] == "batchnorm":
            gamma, beta, mean, var = (a.astype(np.float64) for a in layer[1:])
            h = (h - mean) / np.sqrt(var + EPS) * gamma + beta
        elif layer[0] == "relu":
            h = np.maximum(h, 0)
        trace.append(h.ravel().tolist())
    stored = {k: (v.astype(dtype) if v.dtype == np.float32 else v) for k, v in tensors.items()}
    return stored, x, trace


def main(argv):
    spec = json.load(open(argv[1]))
    out = {}
    for case in spec["cases"]:
        tensors, x, trace = build(case)
        path = os.path.join(argv[2], case["name"] + ".safetensors")
        save_file(tensors, path, metadata={"format": "pt"})
        report = describe(load_file(path), metadata_of(path))
        report["x"] = x.view(np.uint32).ravel().tolist()
        report["trace"] = trace
        out[case["name"]] = report
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
