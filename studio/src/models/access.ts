import type { Permission, Principal, PromotionRequest } from "@sdgate/shared";
import { holdsEverywhere } from "../shell/studio-context.ts";

/**
 * Whether the person may do `permission` on the model registry. The registry is deployment-wide, so
 * the edge takes only a global role (`GET /v1/me`'s `roles`) for it, never a role in one team: a
 * team's developer holds `models.register` in `permissions` and is still refused here.
 *
 * @example
 * if (mayOnRegistry(principal, "models.approve")) showDecisions();
 */
export const mayOnRegistry: (principal: Principal, permission: Permission) => boolean = holdsEverywhere;

/** The registry's name for the person (`user:usr_…`), as `requested_by` and `decided_by` carry it. */
export const actorOf = (principal: Principal) => `user:${principal.id}`;

/** Whether the person filed this promotion request (the edge refuses them its approval). */
export const isOwnRequest = (principal: Principal, request: PromotionRequest) =>
  request.requested_by === actorOf(principal);
