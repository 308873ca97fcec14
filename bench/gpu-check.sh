#!/usr/bin/env bash
# One-shot check on a machine with a real GPU and no display, within about 8 minutes:
#   1. the Node tests once on the machine's GPU   (WEBGPU_TESTS=hardware, vitest project `hardware`)
#   2. the Node bench at the full sizes           (npm run bench -- --node --adapter=auto --full)
#   3. the headless-Chromium bench, if Chromium finds a hardware adapter (bench/gpu-probe.ts says)
# Everything goes to one folder: each step's log, the bench reports, env.txt (what was found) and
# summary.json (each step's status and seconds).
#
#   bash bench/gpu-check.sh [--out=DIR] [--tools=DIR] [--dry-run]
#
# --out=DIR    the folder (default out/gpu-check)
# --tools=DIR  an ignored folder of things the GPU machine may lack (default .gpu-tools): `node`
#              or `node.xz` (a Node binary, xz-compressed or not), `dawn.node` (the `webgpu`
#              package's dist/linux-x64/dawn.node, copied into node_modules when it is missing
#              there), `libvulkan.so.1` (Debian's Vulkan loader, used when ldconfig knows none).
# --dry-run    a tiny, fast rehearsal on the software adapter lavapipe: one test file, the tiny
#              bench of one suite, and the Chromium probe (which finds SwiftShader, so the browser
#              bench is skipped as on a machine without a GPU). tests/bench/gpu-check.test.ts runs it.
#
# The Vulkan driver: NVIDIA's ICD file is looked for first (the places its container toolkit and
# its packages use), then any other hardware ICD; VK_ICD_FILENAMES / VK_DRIVER_FILES are set to it.
# Steps have their own time limits (the sum stays under 8 minutes); a step that fails or runs out
# of time is recorded and the next one still runs. Exit status: 0 when every step that ran passed.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)

OUT=out/gpu-check
TOOLS=.gpu-tools
DRY=0
for arg in "$@"; do
  case "$arg" in
    --out=*) OUT=${arg#--out=} ;;
    --tools=*) TOOLS=${arg#--tools=} ;;
    --dry-run) DRY=1 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option $arg (see --help)" >&2; exit 64 ;;
  esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ENV_TXT="$OUT/env.txt"
: >"$ENV_TXT"
STEPS=()
FAILED=0
note() { echo "$*" | tee -a "$ENV_TXT"; }

# ---- Node: the machine's, or the carried one ----
if ! command -v node >/dev/null 2>&1; then
  if [ -x "$TOOLS/node" ]; then
    :
  elif [ -f "$TOOLS/node.xz" ]; then
    xz -dkc "$TOOLS/node.xz" >"$TOOLS/node" && chmod +x "$TOOLS/node"
  fi
  if [ -x "$TOOLS/node" ]; then
    mkdir -p "$TOOLS/bin"
    ln -sf "$(cd "$TOOLS" && pwd)/node" "$TOOLS/bin/node"
    export PATH="$(cd "$TOOLS/bin" && pwd):$PATH"
  fi
fi
if ! command -v node >/dev/null 2>&1; then
  note "node: not found (nor $TOOLS/node or $TOOLS/node.xz)"
  echo '{"error":"no node"}' >"$OUT/summary.json"
  exit 69
fi
note "node: $(command -v node) $(node --version)"
NPX="node $ROOT/node_modules/.bin/vitest"

# ---- Dawn's binding, if node_modules lacks it ----
DAWN=node_modules/webgpu/dist/linux-x64/dawn.node
if [ ! -f "$DAWN" ] && [ -f "$TOOLS/dawn.node" ]; then
  mkdir -p "$(dirname "$DAWN")" && cp "$TOOLS/dawn.node" "$DAWN"
fi
note "dawn.node: $([ -f "$DAWN" ] && echo present || echo MISSING)"

# ---- The Vulkan loader ----
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' && [ -f "$TOOLS/libvulkan.so.1" ]; then
  export LD_LIBRARY_PATH="$(cd "$TOOLS" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  note "libvulkan: the carried $TOOLS/libvulkan.so.1"
else
  note "libvulkan: $(ldconfig -p 2>/dev/null | grep -m1 'libvulkan.so.1' | sed 's/.*=> //' || true)"
fi

# ---- The Vulkan driver: NVIDIA first ----
ICD=""
if [ "$DRY" = 1 ]; then
  ICD=/usr/share/vulkan/icd.d/lvp_icd.json
  [ -f "$ICD" ] || ICD=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n1)
else
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
    /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$f" ]; then ICD=$f; break; fi
  done
  if [ -z "$ICD" ]; then
    # Any other hardware driver (never the software ones).
    ICD=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null | grep -v -e lvp -e swiftshader | head -n1)
  fi
fi
if [ -n "$ICD" ]; then
  export VK_ICD_FILENAMES=$ICD VK_DRIVER_FILES=$ICD
  note "vulkan ICD: $ICD"
else
  note "vulkan ICD: none found (Dawn picks what the loader finds)"
fi
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >>"$ENV_TXT" 2>&1
note "dry run: $([ "$DRY" = 1 ] && echo yes || echo no)"

# run NAME SECONDS COMMAND...: runs a step with a time limit, its output in NAME.log.
run() {
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  echo "== $name (limit ${limit}s): $*"
  timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  local status=passed
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then status=timeout; elif [ "$rc" != 0 ]; then status=failed; fi
  [ "$status" = passed ] || FAILED=1
  STEPS+=("{\"step\":\"$name\",\"status\":\"$status\",\"exit\":$rc,\"seconds\":$((SECONDS - start))}")
  echo "   $status in $((SECONDS - start)) s (log: $OUT/$name.log)"
}

skip() {
  STEPS+=("{\"step\":\"$1\",\"status\":\"skipped\",\"reason\":\"$2\"}")
  echo "== $1: skipped ($2)"
}

TSX="node --import tsx --import ./scripts/wgsl-loader.mjs"

# 1. The Node tests on the GPU.
if [ "$DRY" = 1 ]; then
  run tests 240 env WEBGPU_TESTS=hardware $NPX run --project hardware tests/runtime/kernels.test.ts
else
  run tests 240 env WEBGPU_TESTS=hardware $NPX run --project hardware
fi

# 2. The Node bench.
if [ "$DRY" = 1 ]; then
  run bench-node 180 $TSX bench/cli.ts --node --adapter=auto --tiny --suites=dropout --samples=5 --out="$OUT"
else
  run bench-node 100 $TSX bench/cli.ts --node --adapter=auto --full --out="$OUT"
fi

# 3. The browser bench, only on a hardware adapter.
GPU_FLAGS="--no-sandbox --enable-unsafe-webgpu --enable-features=Vulkan --use-angle=vulkan --ignore-gpu-blocklist"
$TSX bench/gpu-probe.ts --gpu-flags="$GPU_FLAGS" --timeout=60 >"$OUT/chromium-probe.json" 2>"$OUT/chromium-probe.log"
PROBE=$?
note "chromium probe: $(cat "$OUT/chromium-probe.json")"
if [ "$PROBE" = 0 ]; then
  run bench-chromium 100 $TSX bench/cli.ts --gpu-flags="$GPU_FLAGS" --out="$OUT" --timeout=90
else
  skip bench-chromium "Chromium found no hardware adapter (see chromium-probe.json)"
fi

(
  IFS=,
  echo "{\"dryRun\":$([ "$DRY" = 1 ] && echo true || echo false),\"icd\":\"$ICD\",\"steps\":[${STEPS[*]}]}"
) >"$OUT/summary.json"
echo "summary: $OUT/summary.json"
exit $FAILED
