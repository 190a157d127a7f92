#!/usr/bin/env bash
# KenLM's lmplz and build_binary for this checkout: runs the script the roots package ships
# (roots/tools/build_kenlm.sh) with the checkout's defaults, .venv/bin and build/kenlm.
#
#   tools/build_kenlm.sh [BIN_DIR]          e.g. tools/build_kenlm.sh .venv/bin
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export KENLM_BUILD_DIR="${KENLM_BUILD_DIR:-$ROOT/build/kenlm}"
exec bash "$ROOT/roots/tools/build_kenlm.sh" "${1:-$ROOT/.venv/bin}"
