#!/usr/bin/env bash
# Set up threatloom on a fresh Debian machine: system packages (when missing), then a virtualenv
# with the project and its development tools. Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v git >/dev/null 2>&1 || need+=(git)
for lib in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do
  dpkg -s "$lib" >/dev/null 2>&1 || need+=("$lib")
done
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
export UV_COMPILE_BYTECODE=1
if ! .venv/bin/python -m uv --version >/dev/null 2>&1; then
  .venv/bin/python -m pip install -q --disable-pip-version-check uv
fi
.venv/bin/python -m uv pip install -q --python .venv/bin/python -e '.[dev]'
# an editable install leaves our own modules to be compiled when first imported, and where writing
# bytecode is off (PYTHONDONTWRITEBYTECODE) that happens on every run, 0.1 s each time: compile them
# now, as pip does for an installed package; a module edited later is compiled in memory, never stale
.venv/bin/python -m compileall -q src
