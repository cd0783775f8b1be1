import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { registerLocalSignIn } from "./local-link.ts";
import { registerOidcSignIn } from "./oidc.ts";
import { registerSignOut } from "./sign-out.ts";

/** Signing in (an OpenID Connect provider, `npm start`'s local link) and out. */
export function registerAuth(app: Hono<AppEnv>): void {
  registerOidcSignIn(app);
  registerLocalSignIn(app);
  registerSignOut(app);
}
