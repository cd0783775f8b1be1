import { z } from "zod";

/**
 * `GET /healthz`: the edge is up (load balancers and `npm start` ask it; no credential).
 *
 * @example
 * healthSchema.parse(await response.json()).status; // "ok"
 */
export const healthSchema = z.object({ status: z.literal("ok") });
/**
 * The edge's liveness answer.
 *
 * @example
 * const health: Health = await client.health();
 */
export type Health = z.infer<typeof healthSchema>;
