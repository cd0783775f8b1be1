#!/usr/bin/env bash
# Issue 7's GPU measurements in two device calls (see ../shared/gpu/README.md: .gpu/a and .gpu/b each
# fill most of one call's 64 MiB carry, and the second call must follow the first within 30 s).
#   call 1, carry [".gpu/a"]:  bash scripts/gpu/run-device-bench.sh a
#     unpacks Node and the modules, builds SD 1.5 fp16 standard and fused (into the ignored
#     .sdgate/gpu-models, which stays while the machine is warm).
#   call 2, carry [".gpu/b"]:  bash scripts/gpu/run-device-bench.sh b
#     adds the CUDA provider, checks the fused graphs against the standard ones on CUDA, measures CUDA
#     standard and fused: batch-1 latency, per-step distribution, throughput at 1/2/4/8, memory, peak share;
#     then the variance study: the fused graph again with onnxruntime's default intra-op pool (16 spinning
#     threads; the backend's CUDA default is one that does not spin) and without the memory pattern,
#     20 steps, to tell host jitter from GPU time (docs/benchmarks.md, "Why the median was far above");
#     last, for the record, WebGPU and CPU (one step, extrapolated).
#   call 3 (optional), no carry:  bash scripts/gpu/run-device-bench.sh profile
#     the fused UNet at batch 8 under onnxruntime's profiler with CUDA_LAUNCH_BLOCKING=1: time by operator.
#   or, instead of b and profile (after a with OPERATORS=fused), carry [".gpu/b"]:
#     bash scripts/gpu/run-device-bench.sh levers
#     the profile, then batch-8 throughput under each attention kernel onnxruntime's CUDA provider can be
#     steered to by environment (the only CUDA switches the Node binding leaves us), then the engine's
#     pipeline against the bare loop at batch 1 (alone: bash scripts/gpu/run-device-bench.sh engine).
# Results land in $OUT (results-b/, results-variance/, results-webgpu-cpu/, check.txt, nvidia-smi.txt); each
# results.md is rewritten after every row, so a call cut short by its time limit keeps what it measured. RUNS=5 STEPS=50 by default;
# OPERATORS="fused" builds only that graph in call 1 (a short session that measures only the fused path).
set -euo pipefail
phase=${1:?usage: run-device-bench.sh a|b|profile|levers|engine}
out=${OUT:-.sdgate/gpu-out}
mkdir -p "$out"
models=.sdgate/gpu-models
runs=${RUNS:-5}
steps=${STEPS:-50}
. "$(dirname "$0")/gpu-env.sh"
case $phase in
  a)
    bash .gpu/a/unpack.sh
    gpu_env
    nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
    for ops in ${OPERATORS:-standard fused}; do
      dir=$models/sd15-$ops-float16
      [[ -f $dir/model_index.json ]] || node backend/src/cli/build-models.ts --full-size --dtype float16 --operators "$ops" --out "$dir" 2>&1 | tail -3
    done
    ;;
  b)
    bash .gpu/b/unpack.sh
    gpu_env
    timeout 120 node bench/gpu/check-fused.ts "$models/sd15-standard-float16" "$models/sd15-fused-float16" cuda 2>&1 | tee "$out/check.txt" || true
    node bench/gpu/run.ts --providers cuda --operators standard,fused --runs "$runs" --warmup 1 --batches 1,2,4,8 \
      --steps "$steps" --models "$models" --out "$out/results-b" 2>&1 | tail -30 || true
    node bench/gpu/run.ts --providers "cuda:intra_op_num_threads=0+session.intra_op.allow_spinning=1,cuda:enable_mem_pattern=0" \
      --operators fused --runs 3 --warmup 1 --batches 1 --steps 20 --skip-engine --models "$models" --out "$out/results-variance" 2>&1 | tail -12 || true
    # for the record, last because it matters least: WebGPU and CPU (one step, extrapolated)
    node bench/gpu/run.ts --providers webgpu,cpu --operators standard --runs 2 --warmup 0 --batches 1 --skip-engine \
      --steps "$steps" --models "$models" --out "$out/results-webgpu-cpu" 2>&1 | tail -8 || true
    ;;
  profile)
    # After a and b, on the same warm machine: where a batch-8 UNet call's GPU time goes, by operator.
    gpu_env
    CUDA_LAUNCH_BLOCKING=1 node bench/gpu/profile-unet.ts --model "$models/sd15-fused-float16" --batch "${BATCH:-8}" \
      --runs 3 --warmup 2 --out "$out/profile-fused" 2>&1 | tail -40 || true
    ;;
  levers)
    bash .gpu/b/unpack.sh
    gpu_env
    bash "$0" profile
    # MultiHeadAttention picks its kernel in this order unless told otherwise: cuDNN flash (only when
    # enabled), flash attention, TensorRT's fused kernels, memory-efficient (CUTLASS), unfused.
    for variant in default ORT_ENABLE_CUDNN_FLASH_ATTENTION=1 ORT_DISABLE_FLASH_ATTENTION=1 \
      ORT_DISABLE_FLASH_ATTENTION=1+ORT_DISABLE_TRT_FLASH_ATTENTION=1; do
      env_vars=(); [[ $variant == default ]] || IFS=+ read -ra env_vars <<< "$variant"
      env "${env_vars[@]}" node bench/gpu/run.ts --providers cuda --operators fused --runs 2 --warmup 1 --batches 8 \
        --steps "$steps" --skip-engine --models "$models" --out "$out/attention-${variant//[=+]/-}" 2>&1 | tail -4 || true
    done
    bash "$0" engine
    ;;
  engine)
    # The production path against the bare loop at batch 1, stage by stage, and at each of BATCHES
    # through generateBatch (needs a, and b's provider).
    [[ -f .gpu/b/unpack.sh ]] && bash .gpu/b/unpack.sh
    gpu_env
    node bench/gpu/run.ts --providers cuda --operators fused --runs "$runs" --warmup 1 --batches "${BATCHES:-1}" \
      --steps "$steps" --models "$models" --out "$out/engine" 2>&1 | tail -6 || true
    ;;
  *) echo "run-device-bench.sh: phase '$phase' is not a, b, profile, levers or engine"; exit 2 ;;
esac
