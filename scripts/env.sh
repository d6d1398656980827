# Sourced by run_cgan.sh, run_gan.sh and scripts/test.sh: make sure a Python with cgan's
# requirements exists and export CGAN_PY. Installs only when requirements changed (a stamp file),
# so a warm run costs nothing. Set CGAN_PYTHON to use an interpreter you already set up.
CGAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="$CGAN_ROOT${PYTHONPATH:+:$PYTHONPATH}"
cgan_setup() {  # cgan_setup REQUIREMENTS_FILE [NO_DEPS_REQUIREMENTS_FILE]
    local req="$CGAN_ROOT/$1" nodeps="${2:+$CGAN_ROOT/$2}"
    if [ -n "${CGAN_PYTHON:-}" ]; then CGAN_PY="$CGAN_PYTHON"; export CGAN_PY; return 0; fi
    local venv="${CGAN_VENV:-$CGAN_ROOT/.venv}"
    # A machine that already has the submission's packages (the TA's grading VM, a sandbox with
    # no network) runs them as they are: no venv, no pip.
    if [ "$1" = requirements.txt ] && [ ! -x "$venv/bin/python" ] && command -v python3 >/dev/null \
        && python3 -c "import torch, numpy, PIL, pandas, click, tqdm, requests; assert torch.__version__.startswith('2.13.')" 2>/dev/null; then
        CGAN_PY="$(command -v python3)"; export CGAN_PY; return 0
    fi
    if [ ! -x "$venv/bin/python" ]; then
        command -v python3 >/dev/null || { echo "cgan: error: python3 not found (need Python >= 3.10)" >&2; return 1; }
        echo "cgan: creating $venv" >&2
        python3 -m venv "$venv" || { echo "cgan: error: python3 -m venv failed (apt-get install python3-venv?)" >&2; return 1; }
    fi
    local want have
    want="$(cat "$CGAN_ROOT"/requirements*.txt "$req" | sha256sum | cut -c1-16)"
    have="$(cat "$venv/.cgan-stamp-$1" 2>/dev/null || true)"
    if [ "$want" != "$have" ]; then
        echo "cgan: installing $1 into $venv (first run only)" >&2
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >&2 \
            || { echo "cgan: error: pip install -r $1 failed" >&2; return 1; }
        if [ -n "$nodeps" ]; then  # packages whose declared dependencies would drag in a CUDA torch
            "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$nodeps" >&2 \
                || { echo "cgan: error: pip install --no-deps -r $2 failed" >&2; return 1; }
        fi
        echo "$want" > "$venv/.cgan-stamp-$1"
    fi
    CGAN_PY="$venv/bin/python"
    export CGAN_PY
}
