# bench/peers_venv.bash — sourced by the benchmarks whose peers are the PyPI deep-learning
# libraries (deepar_oj, deepar_synth); not a benchmark itself (bench/run.sh lists *.sh only).
# peers_venv NAME LOGDIR: sets PY to $PEER_VENV/bin/python (PEER_VENV default
# /tmp/skucast-peers-venv) and, when neuralforecast or gluonts.torch does not import there, creates
# the venv if missing and installs what is missing with pip: the current PyPI releases of torch
# (the CPU-only wheel when download.pytorch.org answers, else PyPI's, with its CUDA libraries),
# neuralforecast and gluonts[torch]; pip's output goes to LOGDIR/pip_*.log, failures are said
# (prefixed NAME) and leave the rest to the caller, which checks with peer_have. An existing venv
# is reused. Benchmarks only: never the tests or CI.
# peer_have MODULE: whether MODULE imports in $PY.
peer_have() { "$PY" -c "import $1" > /dev/null 2>&1; }
peers_venv() {
  local name=$1 log=$2 venv=${PEER_VENV:-/tmp/skucast-peers-venv}
  PY="$venv/bin/python"
  if ! peer_have neuralforecast || ! peer_have gluonts.torch; then
    echo "$name: installing the peers into $venv (torch, neuralforecast, gluonts[torch]) ..."
    [ -x "$PY" ] || python3 -m venv "$venv" || echo "$name: could not create the venv $venv"
    if [ -x "$PY" ]; then
      if ! peer_have torch; then
        # the CPU-only wheel avoids the CUDA libraries; PyPI's wheel (with them) when that index is unreachable
        "$venv/bin/pip" install -q --retries 1 --timeout 30 torch --index-url https://download.pytorch.org/whl/cpu \
          > "$log/pip_torch.log" 2>&1 ||
          { echo "$name: the CPU torch index is unreachable; installing torch from PyPI (with its CUDA libraries)";
            "$venv/bin/pip" install -q torch > "$log/pip_torch.log" 2>&1 ||
            { echo "$name: pip install torch failed:"; tail -n 5 "$log/pip_torch.log"; }; }
      fi
      peer_have neuralforecast || "$venv/bin/pip" install -q neuralforecast > "$log/pip_nf.log" 2>&1 ||
        { echo "$name: pip install neuralforecast failed:"; tail -n 5 "$log/pip_nf.log"; }
      peer_have gluonts.torch || "$venv/bin/pip" install -q "gluonts[torch]" > "$log/pip_gluonts.log" 2>&1 ||
        { echo "$name: pip install gluonts[torch] failed:"; tail -n 5 "$log/pip_gluonts.log"; }
    fi
  fi
}
