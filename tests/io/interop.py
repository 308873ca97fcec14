"""The Python half of tests/io/python.test.ts: reads and writes checkpoints with the reference
`safetensors` package (numpy API), as someone taking weights to PyTorch and back would.

  interop.py read PATH                  prints {"metadata": {...}, "tensors": {name: {"dtype", "shape", "bits"}}}
  interop.py write SPEC.json PATH       writes the tensors SPEC names ({"tensors": [[name, shape], ...], "seed": n})
                                        with values drawn by numpy, prints them as `read` does
  interop.py halve IN OUT               loads IN, halves every tensor not named optim.*, keeps the other
                                        tensors and the metadata (less data_crc32: the values changed), writes OUT

Values travel as the uint32 bit patterns of the float32s, so the comparison is exact.
"""
import json
import sys

try:
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file
except ImportError as e:  # the setup script installs them
    sys.exit(f"interop.py: {e}; run `bash scripts/setup-system.sh` to install safetensors and numpy")


def describe(tensors, metadata):
    return {
        "metadata": metadata or {},
        "tensors": {
            name: {"dtype": str(a.dtype), "shape": list(a.shape), "bits": np.ascontiguousarray(a).view(np.uint32).ravel().tolist()}
            for name, a in tensors.items()
        },
    }


def metadata_of(path):
    with safe_open(path, framework="np") as f:
        return f.metadata()


def main(argv):
    cmd = argv[1]
    if cmd == "read":
        out = describe(load_file(argv[2]), metadata_of(argv[2]))
    elif cmd == "write":
        spec = json.load(open(argv[2]))
        rng = np.random.default_rng(spec["seed"])
        tensors = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in spec["tensors"]}
        save_file(tensors, argv[3], metadata={"written_by": "safetensors.numpy"})
        out = describe(load_file(argv[3]), metadata_of(argv[3]))
    elif cmd == "halve":
        tensors = load_file(argv[2])
        meta = {k: v for k, v in (metadata_of(argv[2]) or {}).items() if k != "data_crc32"}
        changed = {k: (a if k.startswith("optim.") else (a * np.float32(0.5)).astype(np.float32)) for k, a in tensors.items()}
        save_file(changed, argv[3], metadata=meta)
        out = describe(load_file(argv[3]), metadata_of(argv[3]))
    else:
        sys.exit(f"interop.py: unknown command {cmd!r} (read, write, halve)")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
