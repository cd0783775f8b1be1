import type { LimitSnapshot } from "./snapshot.ts";

/**
 * The `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-11 (§3, §4):
 * Structured Field Lists (RFC 9651) with one Item per policy, named by a String.
 *
 *   RateLimit-Policy: "requests_per_minute";q=60;w=60, "concurrency";q=2;qu="concurrent-requests",
 *                     "credits";q=100000;sdgate-unit="credit"
 *   RateLimit: "requests_per_minute";r=59;t=1, "concurrency";r=2, "credits";r=99800
 *
 * `q`: the quota; `w`: its window in seconds; `qu`: the quota unit from the draft's registry
 * ("concurrent-requests"; "requests" is the default). Credits are no registered unit, so the credits
 * policy says what it counts in a vendor-prefixed parameter, as §3.1 asks. `r`: what is left; `t`: the
 * seconds until the request bucket is full again. The credits budget does not reset, so it has no `w`
 * or `t`. A key without a credit limit has no credits policy. A monthly budget is a policy of its own,
 * `"monthly_credits"`, whose `t` is the seconds until the UTC month turns (its window varies with the
 * month, so it has no `w`).
 */
export function rateLimitHeaders(snapshot: LimitSnapshot): { "RateLimit-Policy": string; RateLimit: string } {
  const { limits } = snapshot;
  const policies = [
    `"requests_per_minute";q=${limits.requests_per_minute};w=60`,
    `"concurrency";q=${limits.concurrency};qu="concurrent-requests"`,
  ];
  const current = [
    `"requests_per_minute";r=${snapshot.requestsRemaining};t=${snapshot.requestsResetS}`,
    `"concurrency";r=${Math.max(0, limits.concurrency - snapshot.inFlight)}`,
  ];
  if (limits.credits !== null && snapshot.creditsRemaining !== null) {
    policies.push(`"credits";q=${limits.credits};sdgate-unit="credit"`);
    current.push(`"credits";r=${snapshot.creditsRemaining}`);
  }
  if (snapshot.monthly !== null) {
    policies.push(`"monthly_credits";q=${snapshot.monthly.credits};sdgate-unit="credit"`);
    current.push(`"monthly_credits";r=${snapshot.monthly.remaining};t=${snapshot.monthly.resetS}`);
  }
  return { "RateLimit-Policy": policies.join(", "), RateLimit: current.join(", ") };
}
