#!/usr/bin/env bash
# Build KenLM's `lmplz` and `build_binary` (not in any wheel) from the kenlm source distribution on
# PyPI and install them into a bin folder. Idempotent: does nothing when both programs are already
# there and run. Needs cmake and Debian's Boost, zlib, bz2 and lzma dev packages; installs them with
# apt-get when it can (root, or passwordless sudo), else says which to install. It ships inside the
# roots package (`roots doctor` prints the command with this file's installed path); in a checkout,
# tools/build_kenlm.sh runs it with the checkout's defaults (.venv/bin, build/kenlm).
#
#   bash .../roots/tools/build_kenlm.sh BIN_DIR      e.g. the folder of the venv's python
#   KENLM_VERSION=0.3.0 KENLM_BUILD_DIR=/tmp/kenlm PIP=.venv/bin/pip bash .../build_kenlm.sh BIN_DIR
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: build_kenlm.sh BIN_DIR   (where lmplz and build_binary go, e.g. the venv's bin folder)" >&2
    exit 2
fi
BIN_DIR="$1"
VERSION="${KENLM_VERSION:-0.3.0}"
BUILD_DIR="${KENLM_BUILD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/roots-corpus/kenlm}"
JOBS="${KENLM_JOBS:-2}"
PACKAGES=(cmake g++ make libboost-program-options-dev libboost-system-dev libboost-thread-dev
          libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev)

installed() {  # both programs present and runnable (each prints its usage and exits 1 without arguments)
    [ -x "$BIN_DIR/lmplz" ] && [ -x "$BIN_DIR/build_binary" ] || return 1
    local out
    out="$("$BIN_DIR/lmplz" --help 2>&1 || true)"; [[ "$out" == *"Kneser-Ney"* ]] || return 1
    out="$("$BIN_DIR/build_binary" 2>&1 || true)"; [[ "$out" == *"Usage"* ]] || return 1
}

if installed; then
    echo "build_kenlm: lmplz and build_binary already in $BIN_DIR"
    exit 0
fi
mkdir -p "$BIN_DIR"

# --- system packages -------------------------------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == *"install ok installed"* ]] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "build_kenlm: install cmake, a C++ compiler, Boost (program_options, system, thread, test), zlib, bz2 and lzma development files, then rerun" >&2
        exit 1
    fi
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
            echo "build_kenlm: as root, run: apt-get install -y ${missing[*]}  (then rerun this script)" >&2
            exit 1
        fi
    fi
    echo "build_kenlm: apt-get install ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- the source distribution -----------------------------------------------------------------------
PIP="${PIP:-}"
if [ -z "$PIP" ]; then
    if [ -x "$BIN_DIR/pip" ]; then PIP="$BIN_DIR/pip"; else PIP="python3 -m pip"; fi
fi
mkdir -p "$BUILD_DIR"
SRC="$BUILD_DIR/kenlm-$VERSION"
if [ ! -f "$SRC/CMakeLists.txt" ]; then
    sdist="$(ls "$BUILD_DIR"/kenlm-"$VERSION".tar.gz 2>/dev/null || true)"
    if [ -z "$sdist" ]; then
        # `--no-binary kenlm`, not `:all:`: the latter also refuses wheels of kenlm's build requirement
        # cmake, and pip then compiles CMake itself from source (a quarter of an hour) just to read metadata.
        $PIP download -q --no-binary kenlm --no-deps -d "$BUILD_DIR" "kenlm==$VERSION"
        sdist="$BUILD_DIR/kenlm-$VERSION.tar.gz"
    fi
    rm -rf "$SRC.partial" && mkdir -p "$SRC.partial"
    tar -xzf "$sdist" -C "$SRC.partial" --strip-components=1
    rm -rf "$SRC" && mv "$SRC.partial" "$SRC"
fi

# --- build and install -----------------------------------------------------------------------------
mkdir -p "$SRC/build"
LOG="$BUILD_DIR/build.log"
echo "build_kenlm: compiling lmplz and build_binary (about a minute; log in $LOG)"
if ! (cd "$SRC/build" && cmake -DCMAKE_BUILD_TYPE=Release .. && make -j"$JOBS" lmplz build_binary) >"$LOG" 2>&1; then
    tail -n 30 "$LOG" >&2
    echo "build_kenlm: the build failed; see $LOG" >&2
    exit 1
fi
for prog in lmplz build_binary; do
    install -m 0755 "$SRC/build/bin/$prog" "$BIN_DIR/$prog.tmp.$$"
    mv -f "$BIN_DIR/$prog.tmp.$$" "$BIN_DIR/$prog"
done
installed || { echo "build_kenlm: built, but $BIN_DIR/lmplz or build_binary does not run" >&2; exit 1; }
echo "build_kenlm: installed lmplz and build_binary into $BIN_DIR"
