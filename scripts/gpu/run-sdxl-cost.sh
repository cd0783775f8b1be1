#!/usr/bin/env bash
# Issue 20's GPU measurements in two device calls (../shared/gpu/README.md: .gpu/a and .gpu/b each fill
# most of one call's 64 MiB carry; the second call must follow the first within 30 s).
#   here, once: npm ci, then bash ../shared/gpu/pack.sh
#   call 1, carry [".gpu/a"]:  bash scripts/gpu/run-sdxl-cost.sh a
#     unpacks Node and the modules, builds SDXL base fp16 (fused and standard, the VAE in float32) and
#     SD 1.5 fp16 fused into the ignored .sdgate/gpu-models (kept while the machine is warm)
#   call 2, carry [".gpu/b"]:  bash scripts/gpu/run-sdxl-cost.sh b
#     adds the CUDA provider; measures SDXL 1024², 30 steps, CFG (standard and fused), and 50 steps
#     (fused), then SD 1.5 512², 50 steps (fused) in the same call: batch-1 latency, images/s at
#     1, 2, 4, 8 through the bare loop and the engine's generateBatch, memory, peak share; then the cost
#     per image at PRICE dollars per GPU-hour (PRICE_SOURCE says where the figure comes from) beside the
#     managed $0.0036.
# Results in $OUT: sdxl-30/, sdxl-50/, sd15-50/ (results.md and results.json, each rewritten after every
# row), cost.md, nvidia-smi.txt.
set -euo pipefail
phase=${1:?usage: run-sdxl-cost.sh a|b}
out=${OUT:-.sdgate/gpu-out}
mkdir -p "$out"
models=.sdgate/gpu-models
. "$(dirname "$0")/gpu-env.sh"
case $phase in
  a)
    bash .gpu/a/unpack.sh
    gpu_env
    nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
    for spec in sdxl:fused sdxl:standard sd15:fused; do
      arch=${spec%%:*} ops=${spec##*:}
      dir=$models/$arch-$ops-float16
      [[ -f $dir/model_index.json ]] || node backend/src/cli/build-models.ts --full-size --architecture "$arch" \
        --dtype float16 --operators "$ops" --out "$dir" 2>&1 | tail -2
    done
    ;;
  b)
    bash .gpu/b/unpack.sh
    gpu_env
    runs=${RUNS:-3}
    node bench/gpu/run.ts --architecture sdxl --providers cuda --operators fused,standard --steps 30 --runs "$runs" \
      --warmup 1 --batches 1,2,4,8 --models "$models" --out "$out/sdxl-30" 2>&1 | tail -12 || true
    node bench/gpu/run.ts --architecture sdxl --providers cuda --operators fused --steps 50 --runs "$runs" \
      --warmup 1 --batches 1,8 --skip-engine --models "$models" --out "$out/sdxl-50" 2>&1 | tail -6 || true
    node bench/gpu/run.ts --architecture sd15 --providers cuda --operators fused --steps 50 --runs "$runs" \
      --warmup 1 --batches 1,8,16 --models "$models" --out "$out/sd15-50" 2>&1 | tail -6 || true
    node bench/gpu/cost-per-image.ts --price "${PRICE:?PRICE: dollars per GPU-hour}" \
      --price-source "${PRICE_SOURCE:?PRICE_SOURCE: where the price comes from}" --out "$out/cost.md" \
      "$out/sdxl-30/results.json" "$out/sdxl-50/results.json" "$out/sd15-50/results.json" || true
    ;;
  *) echo "run-sdxl-cost.sh: phase '$phase' is not a or b"; exit 2 ;;
esac
