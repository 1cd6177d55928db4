#!/usr/bin/env bash
# Print the path of a uv executable: the one on PATH, else one bootstrapped from PyPI
# into .mlplatform/tools (needs only Python 3.11+).
set -euo pipefail

UV_VERSION="0.13.9"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${root}/.mlplatform/tools"

if command -v uv >/dev/null 2>&1; then
  command -v uv
  exit 0
fi
if [ -x "${tools}/bin/uv" ]; then
  echo "${tools}/bin/uv"
  exit 0
fi
python="$(command -v python3 || true)"
if [ -z "${python}" ]; then
  echo "error: python3 not found; install Python 3.11 or newer" >&2
  exit 1
fi
if ! "${python}" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: $("${python}" --version) is too old; ml-platform needs Python 3.11 or newer" >&2
  exit 1
fi
echo "bootstrapping uv ${UV_VERSION} into ${tools} (from PyPI)" >&2
"${python}" -m venv "${tools}" >&2
"${tools}/bin/python" -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}" >&2
echo "${tools}/bin/uv"
