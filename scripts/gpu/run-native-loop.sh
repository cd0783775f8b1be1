#!/usr/bin/env bash
# Issue 19's GPU measurements in two device calls (../shared/gpu/README.md: .gpu/a and .gpu/b each fill
# most of one call's 64 MiB carry; the second call must follow the first within 30 s).
#   here, once: npm ci, then bash ../shared/gpu/pack.sh (koffi and its linux-x64 binary are backend
#     dependencies, so the packer carries them)
#   call 1, carry [".gpu/a"]:  bash scripts/gpu/run-native-loop.sh a
#     unpacks Node and the modules, builds SD 1.5 fp16 fused (the ignored .sdgate/gpu-models, kept while
#     the machine is warm)
#   call 2, carry [".gpu/b"]:  bash scripts/gpu/run-native-loop.sh b
#     adds the CUDA provider; answers whether onnxruntime-node's `extra` ep.cuda.* entries reach the
#     1.29 provider (verbose log); then bench/gpu/native-loop.ts: today's host loop, the C API host loop
#     with the provider options, the device loop, + CUDA graphs, + run-ahead: batch-1 latency, images/s
#     at 1, 2, 4, 8, 16, memory, utilization, peak share, and the device loop's numerics against the
#     host loop on the GPU; then the production path (bench/gpu/run.ts's engine rows: loadPipeline's
#     generate and generateBatch) on today's provider, with the device loop, and with the device loop
#     running batches as two overlapped half-batches (overlap=1).
# Results in $OUT: ep-options.txt, nvidia-smi.txt, native-loop/ and engine/ (results.md and results.json,
# each rewritten after every row, so a call cut short keeps what it measured). RUNS=5 STEPS=50
# BATCHES=1,2,4,8,16 by default.
set -euo pipefail
phase=${1:?usage: run-native-loop.sh a|b}
out=${OUT:-.sdgate/gpu-out}
mkdir -p "$out"
models=.sdgate/gpu-models
. "$(dirname "$0")/gpu-env.sh"
case $phase in
  a)
    bash .gpu/a/unpack.sh
    gpu_env
    nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
    dir=$models/sd15-fused-float16
    [[ -f $dir/model_index.json ]] || node backend/src/cli/build-models.ts --full-size --dtype float16 --operators fused --out "$dir" 2>&1 | tail -3
    ;;
  b)
    bash .gpu/b/unpack.sh
    gpu_env
    timeout 60 node bench/gpu/ep-options-probe.ts > "$out/ep-options.txt" 2>&1 || true
    head -20 "$out/ep-options.txt"
    node bench/gpu/native-loop.ts --model "$models/sd15-fused-float16" --runs "${RUNS:-5}" --warmup 1 \
      --steps "${STEPS:-50}" --batches "${BATCHES:-1,2,4,8,16}" --out "$out/native-loop" 2>&1 | tail -20 || true
    loop="cuda:device_loop=1+enable_cuda_graph=1+prefer_nhwc=1+cudnn_conv_use_max_workspace=1"
    node bench/gpu/run.ts --providers "cuda,$loop,$loop+overlap=1" --operators fused --runs 3 --warmup 1 \
      --steps "${STEPS:-50}" --batches 1,8,16 --models "$models" --out "$out/engine" 2>&1 | tail -12 || true
    ;;
  *) echo "run-native-loop.sh: phase '$phase' is not a or b"; exit 2 ;;
esac
