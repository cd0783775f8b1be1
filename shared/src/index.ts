export * from "./canonical.ts";
export * from "./encoding.ts";
export * from "./errors.ts";
export * from "./generation-request.ts";
export * from "./generation-response.ts";
export * from "./models.ts";
export * from "./schedulers.ts";
export * from "./signing.ts";
