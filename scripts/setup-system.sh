#!/usr/bin/env bash
# Installs the system packages a fresh Debian 12 (bookworm) machine lacks for this project:
#   - chromium            headless browser tests and `npm run bench` (its SwiftShader is the browser's WebGPU adapter)
#   - mesa-vulkan-drivers from bookworm-backports (Mesa >= 25): lavapipe, the fast software Vulkan adapter
#                         Dawn uses in Node. Bookworm's own Mesa 22.3 is rejected by Dawn.
#   - the Python packages safetensors and numpy (pip), which the checkpoint interop test (tests/io) runs
#                         against: the reference reader and writer of the checkpoint format.
# As root it installs the system packages; otherwise it prints exactly what to run. The Python packages
# are installed with pip for the `python3` on PATH (PYTHON overrides it), as any user.
# Idempotent: does nothing when all is present.
set -euo pipefail

PYTHON=${PYTHON:-python3}
have_python_packages() { "$PYTHON" -c 'import numpy, safetensors.numpy' >/dev/null 2>&1; }

# pip install, quietly; a Debian system Python refuses plain installs (PEP 668), so that case is
# retried with --break-system-packages (the two packages are self-contained wheels).
install_python_packages() {
  have_python_packages && return 0
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    else
      echo "setup-system: $PYTHON has no pip; install it (as root: apt-get install -y python3-pip) and run this again" >&2
      return 1
    fi
  fi
  local log
  log=$(mktemp)
  if ! "$PYTHON" -m pip install -q --disable-pip-version-check safetensors numpy >"$log" 2>&1; then
    if grep -q externally-managed "$log" &&
      "$PYTHON" -m pip install -q --disable-pip-version-check --break-system-packages safetensors numpy >"$log" 2>&1; then
      :
    else
      cat "$log" >&2
      rm -f "$log"
      echo "setup-system: pip could not install safetensors and numpy for $PYTHON (see above)" >&2
      return 1
    fi
  fi
  rm -f "$log"
  have_python_packages || { echo "setup-system: safetensors and numpy were installed but $PYTHON cannot import them" >&2; return 1; }
  echo "setup-system: installed the Python packages $("$PYTHON" -c 'import numpy, safetensors; print(f"safetensors {safetensors.__version__}, numpy {numpy.__version__}")')"
}

have_chromium() { [ -x /usr/bin/chromium ]; }
have_swiftshader() { [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; }
have_lavapipe() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25 && ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1
}

if have_chromium && have_swiftshader && have_lavapipe; then
  echo "setup-system: chromium, SwiftShader and Mesa lavapipe (>= 25) are present"
  install_python_packages
  exit 0
fi

BACKPORTS=/etc/apt/sources.list.d/bookworm-backports.sources
# The backports source reuses the host of the machine's default Debian source.
debian_uri() {
  grep -h '^URIs:' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1 | awk '{print $2}'
}

if [ "$(id -u)" != 0 ]; then
  cat <<MSG
setup-system: missing system packages; run as root:
  printf 'Types: deb\nURIs: $(debian_uri || echo http://deb.debian.org/debian)\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > $BACKPORTS
  apt-get update
  apt-get install -y chromium
  apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1
MSG
  install_python_packages || true
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! have_lavapipe && [ ! -f "$BACKPORTS" ]; then
  uri=$(debian_uri)
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" > "$BACKPORTS"
fi
apt-get update -qq
if ! have_chromium || ! have_swiftshader; then
  apt-get install -y -qq chromium >/dev/null
fi
if ! have_lavapipe; then
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
fi
have_chromium && have_swiftshader && have_lavapipe || { echo "setup-system: install incomplete" >&2; exit 1; }
echo "setup-system: installed chromium $(dpkg-query -W -f='${Version}' chromium), mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
install_python_packages
