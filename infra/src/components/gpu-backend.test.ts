import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

// Pulumi's mocks stand in for the engine and the Kubernetes provider: resources are "created" with
// their inputs as outputs, so policies are checked against exactly what the program declares.
pulumi.runtime.setMocks(
  {
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => args.inputs,
  },
  "sdgate",
  "test",
  false,
);

type GpuBackendModule = typeof import("./gpu-backend.ts");
let GpuBackend: GpuBackendModule["GpuBackend"];

beforeAll(async () => {
  ({ GpuBackend } = await import("./gpu-backend.ts"));
});

function outputOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

const args = {
  namespace: "sdgate",
  image: "sdgate/backend:test",
  gpusPerPod: 1,
  replicas: 2,
  gpuProduct: "NVIDIA-H100-80GB-HBM3",
};

describe("GpuBackend policies", () => {
  it("every GPU pod requests a GPU", async () => {
    const backend = new GpuBackend("a", args);
    const spec = await outputOf(backend.deployment.spec);
    for (const container of spec.template.spec?.containers ?? []) {
      expect(container.resources?.limits?.["nvidia.com/gpu"]).toBe("1");
    }
  });

  it("pods schedule only on the configured GPU product and tolerate the GPU taint", async () => {
    const backend = new GpuBackend("b", args);
    const podSpec = (await outputOf(backend.deployment.spec)).template.spec;
    expect(podSpec?.nodeSelector).toEqual({ "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3" });
    expect(podSpec?.tolerations).toContainEqual({
      key: "nvidia.com/gpu",
      operator: "Exists",
      effect: "NoSchedule",
    });
  });

  it("backends are not exposed outside the cluster", async () => {
    const backend = new GpuBackend("c", args);
    expect((await outputOf(backend.service.spec)).type).toBe("ClusterIP");
  });

  it("refuses a pod without a GPU", () => {
    expect(() => new GpuBackend("d", { ...args, gpusPerPod: 0 })).toThrow(/gpusPerPod/);
  });
});
