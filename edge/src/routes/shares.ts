import {
  type CreatedShare,
  createShareBodySchema,
  randomHex,
  runIdsOf,
  SdgateError,
  type ShareLayout,
  type ShareList,
  sha256Hex,
} from "@sdgate/shared";
import type { Context, Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { MAX_AUTH_FAILURES } from "../keys/auth-failures.ts";
import { keyAuth } from "../keys/authorize.ts";
import { addressBucket, durableFailedAuthGuard } from "../keys/failed-auth.ts";
import { clientIpOf } from "../keys/key-check.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { type RunScope, readRuns, type StoredRun } from "../runs/store.ts";
import {
  insertShare,
  listShares,
  openShare,
  ownerOf,
  revokeShare,
  type ShareRow,
  scopeOfOwner,
  shareOf,
} from "../shares/store.ts";
import { checkShareToken, mintShareToken } from "../shares/token.ts";
import { sharedViewOf } from "../shares/view.ts";
import { onOperation } from "./operation.ts";
import { invalid, linksOf, scopeOf } from "./runs.ts";

const DAY_MS = 86_400_000;

/**
 * Share links: `POST /v1/shares`, `GET /v1/shares` and `DELETE /v1/shares/{id}` on a key of the team
 * whose runs they show; `GET /v1/shared/{id}` (the link's token) for anyone holding a link.
 */
export function registerShares(app: Hono<AppEnv>): void {
  onOperation(app, "createShare", keyAuth("createShare"), async (c) => {
    await admitRequestOnly(c);
    const parsed = createShareBodySchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw invalid(parsed.error);
    const secret = c.var.config.urlSigningKey;
    if (secret === null)
      throw new SdgateError(
        "invalid_request",
        "Share links are not enabled on this server (it has no URL signing key, SDGATE_URL_SIGNING_KEY).",
      );
    const { layout, title, expires_in_days } = parsed.data;
    const scope = await scopeOf(c);
    const runs = await ownedRuns(c.var.config.db, scope, runIdsOf(layout));
    const { token, hashHex } = await mintShareToken(secret);
    const now = new Date();
    const row: ShareRow = {
      id: `shr_${randomHex(8)}`,
      token_hash: hashHex,
      owner: ownerOf(scope),
      created_by: c.var.apiKey.id,
      kind: layout.kind,
      title: title ?? titleOf(layout, runs),
      layout: JSON.stringify(layout),
      run_ids: JSON.stringify(runIdsOf(layout)),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + expires_in_days * DAY_MS).toISOString(),
      revoked_at: null,
    };
    await insertShare(c.var.config.db, row);
    const created: CreatedShare = {
      ...shareOf(row, now),
      url: `${new URL(c.req.url).origin}/studio/#/share/${token}`,
      token,
    };
    c.header("Cache-Control", "no-store");
    return c.json(created, 201);
  });

  onOperation(app, "listShares", keyAuth("listShares"), async (c) => {
    await admitRequestOnly(c);
    const now = new Date();
    const rows = await listShares(c.var.config.db, await scopeOf(c));
    const list: ShareList = { object: "list", data: rows.map((row) => shareOf(row, now)) };
    return c.json(list);
  });

  onOperation(app, "revokeShare", keyAuth("revokeShare"), async (c) => {
    await admitRequestOnly(c);
    const id = c.req.param("id") ?? "";
    const row = await revokeShare(c.var.config.db, await scopeOf(c), id);
    if (row === null)
      throw new SdgateError("not_found", `No share '${id.slice(0, 80)}' of this team.`, { param: "id" });
    return c.json(shareOf(row));
  });

  onOperation(app, "getShared", async (c) => {
    const config = c.var.config;
    const guard = unknownLinkGuard(c);
    if (guard !== null) guard.refuseIfBlocked();
    const secret = config.urlSigningKey;
    const token = (c.req.param("id") ?? "").slice(0, 200);
    const hashHex = secret === null ? null : await checkShareToken(secret, token);
    const share = hashHex === null ? null : await openShare(config.db, hashHex);
    if (share === null) {
      // Forged, expired and revoked alike: one answer, counted against the address.
      await guard?.count(token);
      throw new SdgateError("not_found", "This share link does not exist, has expired or was revoked.");
    }
    const runs = await readRuns(config.db, scopeOfOwner(share.owner), JSON.parse(share.run_ids) as string[]);
    c.header("Cache-Control", "private, no-store");
    c.header("X-Robots-Tag", "noindex");
    c.header("Referrer-Policy", "no-referrer");
    return c.json(await sharedViewOf(share, runs, linksOf(c)));
  });
}

/** The runs `ids` names, every one the scope's; else a 404 naming the first that is not. */
async function ownedRuns(db: D1Database, scope: RunScope, ids: string[]): Promise<StoredRun[]> {
  const runs = await readRuns(db, scope, ids);
  const found = new Set(runs.map((run) => run.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined)
    throw new SdgateError("not_found", `No run '${missing.slice(0, 80)}' in this history.`, {
      param: "layout",
    });
  return runs;
}

/** A share's title when the caller gives none: the grid's axes, else the first run's prompt. */
function titleOf(layout: ShareLayout, runs: readonly StoredRun[]): string {
  if (layout.kind === "grid") return `${layout.x.label} × ${layout.y.label}`;
  const first = runs.find((run) => run.id === runIdsOf(layout)[0]);
  return (first?.prompt ?? "Shared run").slice(0, 120);
}

/**
 * Unknown share links count against the client's address as unknown API keys do (`AuthFailures`),
 * so guessing links from one address is soon refused with a 429; a forged token never reaches D1.
 */
function unknownLinkGuard(c: Context<AppEnv>) {
  const ip = clientIpOf(c);
  if (ip === null) return null;
  const bucket = addressBucket(ip);
  const failures = durableFailedAuthGuard(c.var.config.authFailures);
  return {
    refuseIfBlocked() {
      const nowMs = Date.now();
      const untilMs = failures.blockedUntilMs(bucket, nowMs);
      if (untilMs !== null) throw tooManyUnknownLinks(untilMs, nowMs);
    },
    async count(token: string) {
      const counted = await failures.recordFailure(bucket, await sha256Hex(`share:${token}`));
      // As for API keys: the failure that reaches the limit is answered for what it was; those after are refused.
      if (counted.blockedUntilMs !== null && counted.failures > MAX_AUTH_FAILURES)
        throw tooManyUnknownLinks(counted.blockedUntilMs, Date.now());
    },
  };
}

function tooManyUnknownLinks(untilMs: number, nowMs: number): SdgateError {
  const retryAfterS = Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
  return new SdgateError(
    "rate_limited",
    `Too many unknown share links or API keys from this address. Retry after ${retryAfterS} s.`,
    { headers: { "Retry-After": String(retryAfterS) } },
  );
}
