import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { SD15_CONFIG, SD15_TIMESTEPS } from "./diffusers-test-dummies.ts";
import {
  a1111SamplerName,
  createScheduler,
  resolveSchedulerName,
  SCHEDULER_ALIASES,
  SCHEDULER_NAMES,
} from "./index.ts";

describe("scheduler names", () => {
  it("resolves A1111 names", () => {
    expect(resolveSchedulerName("Euler")).toBe("euler");
    expect(resolveSchedulerName("Euler a")).toBe("euler_a");
    expect(resolveSchedulerName("DPM++ 2M")).toBe("dpmpp_2m");
    expect(resolveSchedulerName("DPM++ 2M Karras")).toBe("dpmpp_2m_karras");
    expect(resolveSchedulerName("DPM++ 2M SDE Karras")).toBe("dpmpp_2m_sde_karras");
    expect(resolveSchedulerName("DDIM")).toBe("ddim");
    expect(resolveSchedulerName("LCM")).toBe("lcm");
  });

  it("resolves ComfyUI samplers and sampler + scheduler pairs, case- and space-insensitively", () => {
    expect(resolveSchedulerName("euler_ancestral")).toBe("euler_a");
    expect(resolveSchedulerName("dpmpp_2m karras")).toBe("dpmpp_2m_karras");
    expect(resolveSchedulerName("  DPMPP_2M_SDE   Karras ")).toBe("dpmpp_2m_sde_karras");
    expect(resolveSchedulerName("euler_ancestral normal")).toBe("euler_a");
    expect(resolveSchedulerName("dpmpp_2m_sde")).toBeNull();
    expect(resolveSchedulerName("heun")).toBeNull();
  });

  it("maps every alias to a canonical name", () => {
    for (const target of Object.values(SCHEDULER_ALIASES)) expect(SCHEDULER_NAMES).toContain(target);
  });

  it("gives the A1111 name for the PNG parameters text", () => {
    expect(a1111SamplerName("dpmpp_2m_karras")).toBe("DPM++ 2M Karras");
    expect(a1111SamplerName("euler_ancestral")).toBe("Euler a");
    expect(a1111SamplerName("lcm")).toBe("LCM");
  });

  it("refuses an unknown name with an InvalidArgumentError for `scheduler`", () => {
    const error = (() => {
      try {
        createScheduler("ddim-ish", {});
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ param: "scheduler", value: "ddim-ish" });
  });

  it("lets the name fix the algorithm over the config's", () => {
    const scheduler = createScheduler("dpmpp_2m", { ...SD15_CONFIG, use_karras_sigmas: true });
    scheduler.setTimesteps(10);
    expect(Array.from(scheduler.timesteps)).toEqual(SD15_TIMESTEPS.dpmsolver?.linspace?.["10"]); // not Karras
  });
});
