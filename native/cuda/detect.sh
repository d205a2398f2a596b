#!/bin/sh
# Used by binding.gyp: `detect.sh enabled` prints 1 when the CUDA sources are to be compiled,
# `detect.sh home` the toolkit's root (for nvcc and libcudart_static.a).
# SPECEDIT_CUDA=1 forces CUDA on (the build then fails if nvcc is missing), =0 turns it off;
# unset: on when nvcc is found.
home() {
  for h in "$CUDA_HOME" "$CUDA_PATH" /usr/local/cuda; do
    if [ -n "$h" ] && [ -x "$h/bin/nvcc" ]; then echo "$h"; return; fi
  done
  n=$(command -v nvcc 2>/dev/null) || { echo /usr/local/cuda; return; }
  dirname "$(dirname "$(readlink -f "$n")")"
}
case "$1" in
  enabled)
    case "$SPECEDIT_CUDA" in
      1) echo 1 ;;
      0) echo 0 ;;
      *) if [ -x "$(home)/bin/nvcc" ] || command -v nvcc >/dev/null 2>&1; then echo 1; else echo 0; fi ;;
    esac ;;
  home) home ;;
  *) echo "usage: detect.sh enabled|home" >&2; exit 2 ;;
esac
