#!/bin/sh
# run.sh -- build and run the seed harness (bench/seeds/seed_bench.cu).
#   bench/seeds/run.sh build   (here, no GPU needed) compiles the harness and one cubin per
#                              point of points.txt into build-seeds/, exactly as the engine
#                              compiles a candidate: -std=c++17, sm_90a, -D per parameter.
#   bench/seeds/run.sh run     (on the GPU machine, from the repo root) runs the fp16 pass
#                              (RMSNorm + GEMM) and the bf16 GEMM pass.
# Run from the repository root.
set -e
B=build-seeds
ARCH="-gencode=arch=compute_90a,code=sm_90a"
case "$1" in
build)
    mkdir -p $B
    nvcc -O3 -std=c++17 $ARCH -o $B/seed_bench bench/seeds/seed_bench.cu -lcublas \
        -L/usr/local/cuda/lib64/stubs -lcuda
    : > $B/list_fp16.txt
    : > $B/list_bf16.txt
    i=0
    grep -v '^#' bench/seeds/points.txt | while read -r seed params flags; do
        flags=${flags:--}
        [ -n "$seed" ] || continue
        i=$((i + 1))
        case $seed in rmsnorm_*) src=kernels/rmsnorm/$seed.cu ;; *) src=kernels/gemm/$seed.cu ;; esac
        [ "$seed" = rmsnorm_baseline ] && src=kernels/rmsnorm/baseline.cu
        defs=""
        [ "$params" = "-" ] || defs=$(echo "$params" | tr ',' '\n' | sed 's/^/-D/' | tr '\n' ' ')
        nvcc -std=c++17 $ARCH -cubin $defs -o $B/p$i.cubin $src
        echo "$seed $B/p$i.cubin $params $flags" >> $B/list_fp16.txt
        if echo "$flags" | grep -q bf16; then
            nvcc -std=c++17 $ARCH -cubin -DEVO_BF16=1 $defs -o $B/p${i}_bf16.cubin $src
            echo "$seed $B/p${i}_bf16.cubin $params $flags" >> $B/list_bf16.txt
        fi
    done
    ;;
run)
    nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader || true
    $B/seed_bench $B/list_fp16.txt
    EVO_BF16=1 $B/seed_bench $B/list_bf16.txt
    ;;
*)
    echo "usage: $0 build|run" >&2
    exit 2
    ;;
esac
