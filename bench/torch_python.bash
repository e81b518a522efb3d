# bench/torch_python.bash — sourced by the benchmarks whose peer is PyTorch (train_cpu,
# forecast_lstm_cpu); not a benchmark itself (bench/run.sh lists *.sh only).
# torch_python NAME: sets PY to a python with PyTorch, in this order: $SKUCAST_TORCH_PYTHON;
# the venv $PEER_VENV (default /tmp/skucast-torch-venv) or /tmp/skucast-peers-venv (deepar_oj's)
# when either already has torch; else it creates $PEER_VENV and installs the current torch
# release from PyPI (benchmarks only, never the tests or CI); failing that, /usr/bin/python3
# when its torch imports (Debian's, older: said on stderr). PY stays empty when none works.
torch_python() {
  local name=$1 venv=${PEER_VENV:-/tmp/skucast-torch-venv}
  PY="${SKUCAST_TORCH_PYTHON:-}"
  [ -n "$PY" ] && return 0
  local v
  for v in "$venv" /tmp/skucast-peers-venv; do
    if [ -x "$v/bin/python" ] && "$v/bin/python" -c "import torch" 2>/dev/null; then PY="$v/bin/python"; return 0; fi
  done
  echo "$name: creating $venv with PyTorch from PyPI (pip; a few minutes)" >&2
  { python3 -m venv "$venv" && "$venv/bin/pip" install -q torch; } >&2 || true
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import torch" 2>/dev/null; then PY="$venv/bin/python"; return 0; fi
  if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    PY=/usr/bin/python3
    echo "$name: PyTorch could not be installed into $venv; using /usr/bin/python3's torch $($PY -c 'import torch; print(torch.__version__)')" >&2
  fi
}

# load: the 1-minute load average now (printed beside every figure: the machine is shared).
load1() { cut -d' ' -f1 /proc/loadavg; }
