#!/bin/bash
# How long a user waits, and how much memory the build takes, from an .onnx
# to a runnable model: `make model` (edgerun-compile + emcc, the .wasm) and
# the native build the tests use (edgerun-compile + gcc with the conformance
# harness). Each under /usr/bin/time -v: wall-clock seconds and the peak RSS
# of the largest process.
#
#   bench/build-time.sh MODEL.onnx NAME [WEIGHTS]      (from the repository root, after make)
#
# Prints one markdown row: | NAME | weights MB | wasm s | wasm peak MB | native s | native peak MB | .wasm MB |
set -euo pipefail
model=$1 name=$2 weights=${3:-fp32}
export NODE_PATH=/usr/share/nodejs
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

measure() { # label command...
  /usr/bin/time -v -o "$log/$1" "${@:2}" > "$log/$1.out" 2>&1 || { cat "$log/$1.out"; exit 1; }
}
seconds() { awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.1f", s }' "$1"; }
peak_mb() { awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$1"; }

rm -f "web/models/$name.wasm"
measure wasm make -s model MODEL="$model" NAME="$name" WEIGHTS="$weights"

native=build/bench-native/$name
mkdir -p "$native"
measure native sh -c "build/edgerun-compile '$model' -o '$native/$name.c' --name '$name' --weights $weights -q && \
  gcc -std=c99 -O2 -g -Wall -Wextra -Werror -Isrc/kernels -Isrc/runtime -I'$native' '$native/$name.c' \
    build/tests/harness.o build/native/compiler/onnx_reader.o build/native/compiler/util.o build/native/compiler/ir.o \
    build/native/libedgerun-kernels.a -lm -o '$native/$name.run'"

blob=$(stat -c %s "build/models/$name.weights")
wasm=$(stat -c %s "web/models/$name.wasm")
awk -v n="$name" -v b="$blob" -v ws="$(seconds "$log/wasm")" -v wm="$(peak_mb "$log/wasm")" \
  -v ns="$(seconds "$log/native")" -v nm="$(peak_mb "$log/native")" -v w="$wasm" \
  'BEGIN { printf "| %s | %.1f | %s | %s | %s | %s | %.1f |\n", n, b / 1e6, ws, wm, ns, nm, w / 1e6 }'
