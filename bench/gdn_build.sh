# gdn_build.sh -- builds the GDN seed cubins (one per parameter set) and bench/gdn_bench.cu into
# build-gdn/ (ignored); run from the repository root, then carry build-gdn to the GPU machine and
# run ./build-gdn/gdn_bench build-gdn. See bench/NOTES.md, GDN.
mkdir -p build-gdn
set -e
A="-std=c++17 -gencode=arch=compute_90a,code=sm_90a -cubin"
O=build-gdn
nvcc $A -o $O/dec_baseline.cubin kernels/gdn_decode/baseline.cu
T=kernels/gdn_decode/gdn_decode_tuned.cu
nvcc $A -o $O/dec_tuned_default.cubin $T
nvcc $A -DRPW=8 -DWARPS=4 -o $O/dec_tuned_r8w4.cubin $T
nvcc $A -DRPW=2 -DWARPS=4 -o $O/dec_tuned_r2w4.cubin $T
nvcc $A -DRPW=4 -DWARPS=8 -o $O/dec_tuned_r4w8.cubin $T
nvcc $A -DRPW=1 -DWARPS=16 -o $O/dec_tuned_r1w16.cubin $T
nvcc $A -DRPW=8 -DWARPS=1 -o $O/dec_tuned_r8w1.cubin $T
nvcc $A -o $O/pre_baseline.cubin kernels/gdn_prefill/baseline.cu
P=kernels/gdn_prefill/gdn_prefill_chunked.cu
nvcc $A -o $O/pre_chunked_default.cubin $P
nvcc $A -DC=64 -DVT=128 -DNT=256 -o $O/pre_chunked_c64v128.cubin $P
nvcc $A -DC=64 -DVT=64 -DNT=256 -o $O/pre_chunked_c64v64.cubin $P
nvcc $A -DC=16 -DVT=32 -DNT=128 -o $O/pre_chunked_c16v32.cubin $P
nvcc $A -DC=32 -DVT=32 -DNT=256 -o $O/pre_chunked_c32v32.cubin $P
nvcc $A -DC=64 -DVT=32 -DNT=256 -o $O/pre_chunked_c64v32.cubin $P
nvcc $A -DC=32 -DVT=32 -DNT=128 -o $O/pre_chunked_c32v32n128.cubin $P
nvcc $A -DC=16 -DVT=32 -DNT=256 -o $O/pre_chunked_c16v32n256.cubin $P
gcc -O2 -std=c11 -c -Ireference -Igpu -o $O/gdn_ref.o reference/gdn.c
nvcc -O2 -std=c++17 -gencode=arch=compute_90a,code=sm_90a bench/gdn_bench.cu $O/gdn_ref.o -lcuda -o $O/gdn_bench
