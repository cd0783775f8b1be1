import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

const SECRET = "z".repeat(40);

describe("backend configuration", () => {
  it("applies defaults around the required signing keys", () => {
    const config = loadConfig({ SDGATE_HMAC_KEYS: `k1:${SECRET}` });
    expect(config).toMatchObject({
      name: "local",
      host: "127.0.0.1",
      port: 8101,
      executionProviders: ["cuda", "webgpu", "cpu"],
    });
    expect(config.signingKeys).toEqual([{ id: "k1", secret: SECRET }]);
  });

  it("names the variable that is missing or wrong, never its value", () => {
    expect(() => loadConfig({})).toThrow(/SDGATE_HMAC_KEYS/);
    try {
      loadConfig({ SDGATE_HMAC_KEYS: "k1:tooshort-secret-value", SDGATE_BACKEND_PORT: "http" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/SDGATE_BACKEND_PORT/);
      expect(message).toMatch(/SDGATE_HMAC_KEYS/);
      expect(message).not.toContain("tooshort-secret-value");
    }
  });

  it("takes only a registry name as the backend's name, since the edge signs for that name", () => {
    const base = { SDGATE_HMAC_KEYS: `k1:${SECRET}` };
    expect(loadConfig({ ...base, SDGATE_BACKEND_NAME: "aws-use1" }).name).toBe("aws-use1");
    expect(() => loadConfig({ ...base, SDGATE_BACKEND_NAME: "gpu a" })).toThrow(/SDGATE_BACKEND_NAME/);
    expect(loadConfig(base).acceptV2Signatures).toBe(false);
    expect(loadConfig({ ...base, SDGATE_ACCEPT_V2_SIGNATURES: "true" }).acceptV2Signatures).toBe(true);
    expect(() => loadConfig({ ...base, SDGATE_ACCEPT_V2_SIGNATURES: "yes" })).toThrow(
      /SDGATE_ACCEPT_V2_SIGNATURES/,
    );
  });

  it("reads the engine watchdog's grace and stall factor, with defaults", () => {
    const base = { SDGATE_HMAC_KEYS: `k1:${SECRET}` };
    expect(loadConfig(base).watchdog).toEqual({ graceMs: 60_000, stallFactor: 10, closeTimeoutMs: 10_000 });
    const tuned = loadConfig({ ...base, SDGATE_ENGINE_GRACE_MS: "90000", SDGATE_ENGINE_STALL_FACTOR: "20" });
    expect(tuned.watchdog).toMatchObject({ graceMs: 90_000, stallFactor: 20 });
    expect(() => loadConfig({ ...base, SDGATE_ENGINE_GRACE_MS: "5" })).toThrow(/SDGATE_ENGINE_GRACE_MS/);
  });

  it("reads the operator's model folders by id, refusing malformed entries", () => {
    const base = { SDGATE_HMAC_KEYS: `k1:${SECRET}` };
    expect(loadConfig(base).modelFolders).toEqual({});
    const config = loadConfig({ ...base, SDGATE_MODEL_FOLDERS: "sd15=/models/sd15, sdxl=/models/sdxl" });
    expect(config.modelFolders).toEqual({ sd15: "/models/sd15", sdxl: "/models/sdxl" });
    expect(() => loadConfig({ ...base, SDGATE_MODEL_FOLDERS: "/models/sd15" })).toThrow(
      /SDGATE_MODEL_FOLDERS/,
    );
    expect(() => loadConfig({ ...base, SDGATE_MODEL_FOLDERS: "a=/x,a=/y" })).toThrow(/SDGATE_MODEL_FOLDERS/);
  });

  it("needs CLIP's tokenizer folder when a model is a single-file checkpoint", () => {
    const base = {
      SDGATE_HMAC_KEYS: `k1:${SECRET}`,
      SDGATE_MODEL_FOLDERS: "dream=/models/dreamshaper_8.safetensors",
    };
    expect(() => loadConfig(base)).toThrow(
      /SDGATE_TOKENIZER_DIR: is required when SDGATE_MODEL_FOLDERS names a single-file checkpoint \(dream\)/,
    );
    const config = loadConfig({ ...base, SDGATE_TOKENIZER_DIR: "/models/clip" });
    expect(config).toMatchObject({
      modelFolders: { dream: "/models/dreamshaper_8.safetensors" },
      tokenizerDir: "/models/clip",
    });
    // export folders need none
    expect(loadConfig({ ...base, SDGATE_MODEL_FOLDERS: "sd15=/models/sd15" }).tokenizerDir).toBeUndefined();
  });

  it("reads the execution provider preference as a list", () => {
    const config = loadConfig({ SDGATE_HMAC_KEYS: `k1:${SECRET}`, SDGATE_EXECUTION_PROVIDERS: "cuda, cpu" });
    expect(config.executionProviders).toEqual(["cuda", "cpu"]);
  });

  it("sizes the queue, batches and deadlines, refusing values that cannot work", () => {
    const base = { SDGATE_HMAC_KEYS: `k1:${SECRET}` };
    expect(loadConfig(base)).toMatchObject({ queueSize: 32, maxBatch: 4, defaultDeadlineMs: 300_000 });
    const config = loadConfig({ ...base, SDGATE_QUEUE_SIZE: "8", SDGATE_MAX_BATCH: "1" });
    expect(config).toMatchObject({ queueSize: 8, maxBatch: 1 });
    expect(() => loadConfig({ ...base, SDGATE_QUEUE_SIZE: "0" })).toThrow(/SDGATE_QUEUE_SIZE/);
    expect(() => loadConfig({ ...base, SDGATE_MAX_BATCH: "two" })).toThrow(/SDGATE_MAX_BATCH/);
  });
});
