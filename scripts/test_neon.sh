#!/usr/bin/env bash
# The arm64 NEON kernels against the scalar oracle on an x86-64 machine: compiles CTernaryKernels
# and Tests/CrossArch/neon_kernels_check.c for aarch64 with the Swift toolchain's clang (the
# compiler SwiftPM uses on arm64), links them statically with the cross gcc's libc and runs the
# result under qemu-aarch64 (user-mode emulation). `scripts/setup.sh --arm64` installs the cross
# gcc, its libc and qemu-user if missing. On an arm64 machine it compiles and runs natively.
#
#   scripts/test_neon.sh            # exit 0 when every case matches
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sources=(Sources/CTernaryKernels/*.c Tests/CrossArch/neon_kernels_check.c)
flags=(-std=gnu11 -O2 -Wall -Werror -ISources/CTernaryKernels/include -ISources/CTernaryKernels)

if [[ "$(uname -m)" == aarch64 || "$(uname -m)" == arm64 ]]; then
    clang "${flags[@]}" "${sources[@]}" -o "$out/check"
    "$out/check"
    exit
fi

scripts/setup.sh --arm64 >/dev/null
for src in "${sources[@]}"; do
    clang --target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu "${flags[@]}" -c "$src" -o "$out/$(basename "$src" .c).o"
done
aarch64-linux-gnu-gcc -static "$out"/*.o -o "$out/check"
qemu-aarch64 "$out/check"
# The float kernels must build for arm64 too (there they have only the portable path, and the
# engine's convolutions default to OpenBLAS).
for src in Sources/CFloatKernels/*.c; do
    clang --target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu -std=gnu11 -O2 -Wall -Werror \
        -ISources/CFloatKernels/include -c "$src" -o "$out/float_$(basename "$src" .c).o"
done
