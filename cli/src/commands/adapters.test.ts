import { describe, expect, it } from "vitest";
import { apiError, cliAgainst } from "./directory-testing.ts";

const AT = "2026-12-01T00:00:00.000Z";
const INK = {
  kind: "lora",
  name: "ink",
  digest: "ab".repeat(32),
  applies_to: ["sd15"],
  description: "ink wash",
  source_uri: "",
  status: "pending",
  registered_by: "user:usr_0123456789abcdef",
  registered_at: AT,
  approved_by: null,
  approved_at: null,
  changed_by: null,
  changed_at: null,
  comment: "",
};

const { sdgate } = cliAgainst((request) => {
  const path = request.path.split("?")[0];
  if (path === "/admin/adapters" && request.method === "GET")
    return { status: 200, body: { object: "list", data: [INK] } };
  if (path === "/admin/adapters") return { status: 201, body: INK };
  if (path === "/admin/adapters/lora/ink") return { status: 200, body: INK };
  if (path === "/admin/adapters/lora/ink/approve")
    return apiError(
      403,
      "insufficient_scope",
      "'lora/ink' was registered by you; someone else must approve it.",
    );
  if (path === "/admin/adapters/lora/ink/deprecate")
    return { status: 200, body: { ...INK, status: "deprecated", approved_by: "user:usr_fedcba9876543210" } };
  return apiError(404, "not_found", "Not found.");
});

describe("sdgate adapters", () => {
  it("lists with filters and shows one", async () => {
    const listed = await sdgate(["adapters", "list", "--kind", "lora", "--status", "pending"]);
    expect(listed.request?.path).toBe("/admin/adapters?kind=lora&status=pending");
    expect(listed.stdout).toMatch(/^lora\s+ink\s+pending\s+abababababab\s+sd15/m);
    expect((await sdgate(["adapters", "show", "lora", "ink"])).stdout).toContain("lora/ink: pending");
    expect((await sdgate(["adapters", "list", "--kind", "vae"])).code).toBe(2);
  });

  it("registers with the model ids it applies to, and needs a digest", async () => {
    const registered = await sdgate([
      "adapters",
      "register",
      "lora",
      "ink",
      "--digest",
      INK.digest,
      "--applies-to",
      "sd15, sd15-inpaint",
      "--source",
      "https://example.com/ink",
    ]);
    expect(registered.request).toMatchObject({
      method: "POST",
      body: {
        kind: "lora",
        name: "ink",
        applies_to: ["sd15", "sd15-inpaint"],
        source_uri: "https://example.com/ink",
      },
    });
    expect(registered.stdout).toContain("Someone else with models.approve must approve it");
    expect((await sdgate(["adapters", "register", "lora", "ink", "--applies-to", "sd15"])).code).toBe(2);
  });

  it("decides with a comment, and says why an approval is refused", async () => {
    const deprecated = await sdgate(["adapters", "deprecate", "lora", "ink", "--comment", "use ink-v2"]);
    expect(deprecated.request).toMatchObject({ body: { comment: "use ink-v2" } });
    expect(deprecated.stdout).toContain("lora/ink: deprecated");
    const own = await sdgate(["adapters", "approve", "lora", "ink"]);
    expect(own.code).not.toBe(0);
    expect(own.stderr).toContain("someone else must approve it");
  });
});
