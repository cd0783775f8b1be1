import { describe, expect, it } from "vitest";
import { NAMED_SCHEMAS, OPERATIONS, type OperationId, type OperationSpec, routeIdOf } from "./operations.ts";
import { KEY_SCOPE_PERMISSIONS } from "./permissions.ts";

const entries = Object.entries(OPERATIONS) as Array<[OperationId, OperationSpec]>;

describe("OPERATIONS", () => {
  it("gives each route one operation", () => {
    const routes = entries.map(([id]) => routeIdOf(id));
    expect(new Set(routes).size).toBe(routes.length);
  });

  it("sends a body only with POST, PUT and PATCH, and a query only with GET", () => {
    for (const [id, op] of entries) {
      if (op.body !== undefined) expect(["POST", "PUT", "PATCH"], id).toContain(op.method);
      if (op.query !== undefined) expect(op.method, id).toBe("GET");
    }
  });

  it("has no path parameter but {id}, {user_id} after a team's {id}, {alias} after a model's aliases or policies, and an adapter's {kind}/{name}", () => {
    for (const [id, op] of entries) {
      const rest = op.path
        .replace("/admin/teams/{id}/members/{user_id}", "")
        .replace("/admin/models/{id}/aliases/{alias}", "")
        .replace("/admin/models/{id}/policies/{alias}", "")
        .replace("/admin/adapters/{kind}/{name}", "")
        .replaceAll("{id}", "");
      expect(rest, id).not.toMatch(/[{}:]/);
    }
  });

  it("scopes to a team only operations that name one, in the path or the body", () => {
    for (const [id, op] of entries) {
      if (op.teamScope === "path") expect(op.path, id).toMatch(/^\/admin\/teams\/\{id\}/);
      if (op.teamScope === "body") expect(op.body?.schema, id).toHaveProperty("shape.team_id");
      if (op.teamScope === "query") expect(op.query?.schema, id).toHaveProperty("shape.team_id");
      if (op.teamScope !== undefined) expect(op.access.kind, id).toBe("admin_token");
    }
  });

  it("names each schema as NAMED_SCHEMAS lists it", () => {
    for (const [name, named] of Object.entries(NAMED_SCHEMAS)) expect(named.name).toBe(name);
    const used = entries.flatMap(([, op]) => [
      ...(op.body === undefined ? [] : [op.body]),
      ...(op.success.schema === undefined ? [] : [op.success.schema].flat()),
    ]);
    for (const named of used) expect(NAMED_SCHEMAS[named.name as keyof typeof NAMED_SCHEMAS]).toBe(named);
  });

  it("answers either JSON with a schema, another media type, or (the document itself) free JSON", () => {
    for (const [id, op] of entries) {
      const kinds = [op.success.schema !== undefined, op.success.mediaType !== undefined];
      expect(kinds.filter(Boolean).length, id).toBe(id === "getOpenApiDocument" ? 0 : 1);
    }
  });

  it("never lets a non-idempotent operation be a GET", () => {
    for (const [id, op] of entries) if (op.method === "GET") expect(op.idempotent, id).toBe(true);
  });

  it("names the permission each operation needs, unless it takes no credential or any", () => {
    for (const [id, op] of entries) {
      const open = ["public", "signed_link", "any_credential", "browser", "session"].includes(op.access.kind);
      expect(op.permission === null, id).toBe(open);
    }
  });

  it("lets a key call an operation exactly when its scope grants the operation's permission", () => {
    for (const [id, op] of entries) {
      if (op.access.kind !== "api_key" || op.permission === null) continue;
      const granted = (scope: "read" | "generate") =>
        (KEY_SCOPE_PERMISSIONS[scope] as readonly string[]).includes(op.permission as string);
      expect(granted(op.access.scope), id).toBe(true);
      expect(granted("read"), id).toBe(op.access.scope === "read");
    }
  });
});
