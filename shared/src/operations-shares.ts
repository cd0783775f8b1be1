import { type NamedSchema, named, type OperationSpec } from "./operation-spec.ts";
import {
  createdShareSchema,
  createShareBodySchema,
  sharedViewSchema,
  shareListSchema,
  shareSchema,
} from "./shares.ts";

// Share links (issue 17): signed, expiring, revocable, read-only views of a team's runs.

export const SHARE_SCHEMAS = {
  CreateShare: named("CreateShare", createShareBodySchema),
  Share: named("Share", shareSchema),
  CreatedShare: named("CreatedShare", createdShareSchema),
  ShareList: named("ShareList", shareListSchema),
  SharedView: named("SharedView", sharedViewSchema),
} as const satisfies Record<string, NamedSchema>;

export const SHARE_OPERATIONS = {
  createShare: {
    method: "POST",
    path: "/v1/shares",
    summary:
      "Share one of the team's runs, a comparison of its runs, or a grid of them (the caller lays the grid out) through a signed link that works without signing in until it expires (default 7 days, at most 90) or is revoked. Any run that is not the team's is a 404.",
    access: { kind: "api_key", scope: "generate" },
    permission: "images.generate",
    // Each call makes another link.
    idempotent: false,
    body: SHARE_SCHEMAS.CreateShare,
    success: {
      status: 201,
      schema: SHARE_SCHEMAS.CreatedShare,
      description: "The share and its link; the link is shown this once (only its hash is kept).",
    },
  },
  listShares: {
    method: "GET",
    path: "/v1/shares",
    summary: "The team's shares (or the key's own), newest first, each active, expired or revoked.",
    access: { kind: "api_key", scope: "read" },
    permission: "images.read",
    idempotent: true,
    success: { status: 200, schema: SHARE_SCHEMAS.ShareList, description: "The shares." },
  },
  revokeShare: {
    method: "DELETE",
    path: "/v1/shares/{id}",
    summary: "Revoke one of the team's shares: its link stops working at once.",
    access: { kind: "api_key", scope: "generate" },
    permission: "images.generate",
    idempotent: true,
    success: { status: 200, schema: SHARE_SCHEMAS.Share, description: "The share, revoked." },
  },
  getShared: {
    method: "GET",
    path: "/v1/shared/{id}",
    summary:
      "What a share link shows, to anyone holding it (`{id}` is the link's token): the runs' recipes, their images through signed links, and the layout. An expired, revoked or forged link is the same 404.",
    access: { kind: "signed_link" },
    permission: null,
    idempotent: true,
    success: { status: 200, schema: SHARE_SCHEMAS.SharedView, description: "The shared view." },
  },
} as const satisfies Record<string, OperationSpec>;
