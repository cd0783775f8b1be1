# Sourced by the device scripts once /opt/gpu is unpacked: Node and the packed modules on PATH. The
# packed node_modules hold the workspaces as links relative to the checkout (@sdgate/shared ->
# ../../shared), which dangle under /opt/gpu: point them here.
gpu_env() {
  . /opt/gpu/env.sh
  for workspace in shared backend; do ln -sfn "$PWD/$workspace" "/opt/gpu/node_modules/@sdgate/$workspace"; done
}
