import { OPERATIONS, type OperationId, routeIdOf } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import app from "../index.ts";
import { call } from "../keys/testing.ts";

/** Hono's route path as an OpenAPI template: `:id` and `:id{regex}` become `{id}`. */
function template(path: string): string {
  return path.replace(/:([A-Za-z_]+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g, "{$1}");
}

describe("GET /openapi.json", () => {
  it("has a route for each operation of the contract, and no other", () => {
    const registered = new Set(
      app.routes
        .filter((route) => route.method !== "ALL")
        .map((route) => `${route.method} ${template(route.path)}`),
    );
    const operations = (Object.keys(OPERATIONS) as OperationId[]).map(routeIdOf);
    expect(new Set(operations)).toEqual(registered);
  });

  it("is OpenAPI 3.1 with the request bodies the routes validate, without authentication", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const document = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown; security: unknown[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(document.openapi).toBe("3.1.0");
    const generation = document.components.schemas.GenerationRequest;
    expect(Object.keys(generation?.properties ?? {})).toEqual(
      expect.arrayContaining(["prompt", "seed", "size", "scheduler"]),
    );
    expect(Object.keys(document.components.schemas.UpdateKey?.properties ?? {})).toEqual(
      expect.arrayContaining(["models", "expires_at", "allowed_ips", "metadata"]),
    );
    expect(document.paths["/v1/images/generations"]?.post?.security).toEqual([{ apiKey: ["generate"] }]);
    expect(document.paths["/v1/models"]?.get?.security).toEqual([{ apiKey: ["read"] }]);
    expect(document.paths["/admin/keys/{id}"]?.patch?.security).toEqual([{ adminToken: [] }]);
  });

  it("describes a team member's two path parameters and who may call a team's operations", async () => {
    const document = (await (await call("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<string, { parameters?: { name: string; in: string }[]; description?: string }>
      >;
    };
    const member = document.paths["/admin/teams/{id}/members/{user_id}"];
    expect(member?.patch?.parameters?.map((p) => [p.name, p.in])).toEqual([
      ["id", "path"],
      ["user_id", "path"],
    ]);
    expect(member?.delete?.description).toContain("members.manage");
    expect(document.paths["/admin/keys"]?.post?.description).toContain("`team_id`");
    expect(document.paths["/admin/teams"]?.post?.description).toBeUndefined();
  });

  it("lists A1111's API, tagged a1111, with the key as Bearer or as Basic's password", async () => {
    const document = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { tags?: string[]; security: unknown[] }>>;
      components: { securitySchemes: Record<string, { scheme?: string }> };
    };
    const txt2img = document.paths["/sdapi/v1/txt2img"]?.post;
    expect(txt2img?.tags).toEqual(["a1111"]);
    expect(txt2img?.security).toEqual([{ apiKey: ["generate"] }, { apiKeyBasic: ["generate"] }]);
    expect(document.paths["/controlnet/module_list"]?.get?.tags).toEqual(["a1111"]);
    expect(document.components.securitySchemes.apiKeyBasic?.scheme).toBe("basic");
    expect(document.paths["/v1/models"]?.get?.tags).toBeUndefined();
  });

  it("names every operation uniquely and says where the API is", async () => {
    const res = await call("/openapi.json");
    const document = (await res.json()) as {
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const ids = Object.values(document.paths).flatMap((path) =>
      Object.values(path).map((operation) => operation.operationId),
    );
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // app.request() asks as http://localhost
    expect(document.servers).toEqual([{ url: "http://localhost", description: expect.any(String) }]);
  });
});
