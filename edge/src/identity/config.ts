import { SdgateError } from "@sdgate/shared";
import { z } from "zod";
import { type AccessConfig, type AccessVars, accessConfigOf } from "./access/access-config.ts";
import { type OidcConfig, type OidcVars, oidcConfigOf } from "./oidc/index.ts";

/**
 * Sign-in's vars, besides Access's ({@link AccessVars}) and OIDC's ({@link OidcVars}):
 * - `SDGATE_SIGN_IN_SECRET`: secret (≥ 32 characters), seals a sign-in in progress (its PKCE verifier,
 *   state and nonce) in a cookie and signs one-time sign-in links; needed for OIDC and for `npm start`'s
 *   local sign-in link.
 * - `SDGATE_LOCAL_SIGN_IN`: optional, `"true"` lets a one-time link sign in a local admin (`npm start`
 *   sets it; never set it in a deployment).
 */
export interface IdentityEnv extends AccessVars, OidcVars {
  SDGATE_SIGN_IN_SECRET?: string;
  SDGATE_LOCAL_SIGN_IN?: string;
}

/** How people sign in here; each part `null` where it is off. */
export interface IdentityConfig {
  access: AccessConfig | null;
  oidc: OidcConfig | null;
  signInSecret: string | null;
  localSignIn: boolean;
}

export const MIN_SIGN_IN_SECRET_CHARS = 32;

export const identityEnvShape = {
  SDGATE_ACCESS_TEAM_DOMAIN: z.string().optional(),
  SDGATE_ACCESS_AUD: z.string().optional(),
  SDGATE_OIDC_ISSUER: z.string().optional(),
  SDGATE_OIDC_CLIENT_ID: z.string().optional(),
  SDGATE_OIDC_CLIENT_SECRET: z.string().optional(),
  SDGATE_OIDC_SCOPES: z.string().optional(),
  SDGATE_OIDC_GROUPS_CLAIM: z.string().optional(),
  SDGATE_OIDC_ALLOW_LOOPBACK: z.string().optional(),
  SDGATE_SIGN_IN_SECRET: z
    .string()
    .min(MIN_SIGN_IN_SECRET_CHARS, `must be at least ${MIN_SIGN_IN_SECRET_CHARS} characters`)
    .optional(),
  SDGATE_LOCAL_SIGN_IN: z.enum(["true", "false"], 'must be "true" or "false"').optional(),
};

type IdentityVars = {
  [K in keyof typeof identityEnvShape]?: z.output<(typeof identityEnvShape)[K]> | undefined;
};

/**
 * Sign-in's settings from the vars, or the variable at fault: half an Access or OIDC configuration,
 * OIDC or a local sign-in link without `SDGATE_SIGN_IN_SECRET`.
 *
 * @example
 * const identity = identityConfigOf(env); // { ok: true, config } or { ok: false, variable, message }
 */
export function identityConfigOf(
  vars: IdentityVars,
): { ok: true; config: IdentityConfig } | { ok: false; variable: string; message: string } {
  let access: AccessConfig | null;
  let oidc: OidcConfig | null;
  try {
    access = accessConfigOf(vars);
    oidc = oidcConfigOf(vars);
  } catch (error) {
    if (!(error instanceof SdgateError)) throw error;
    const variable = /\b(SDGATE_[A-Z_]+)\b/.exec(error.message)?.[1] ?? "SDGATE_OIDC_ISSUER";
    return { ok: false, variable, message: error.message.replace(/^The server is misconfigured: /, "") };
  }
  const signInSecret = vars.SDGATE_SIGN_IN_SECRET ?? null;
  const localSignIn = vars.SDGATE_LOCAL_SIGN_IN === "true";
  if (signInSecret === null && (oidc !== null || localSignIn)) {
    return {
      ok: false,
      variable: "SDGATE_SIGN_IN_SECRET",
      message: `must be set (≥ ${MIN_SIGN_IN_SECRET_CHARS} characters) for ${oidc !== null ? "OIDC sign-in" : "SDGATE_LOCAL_SIGN_IN"}`,
    };
  }
  return { ok: true, config: { access, oidc, signInSecret, localSignIn } };
}
