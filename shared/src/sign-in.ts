import { z } from "zod";

/** `GET /auth/oidc/login`'s query. */
export const signInQuerySchema = z.strictObject({
  /** A path on this origin (`/studio`); anything that could lead elsewhere is refused. */
  return_to: z.string().max(2048).optional(),
});

/** `GET /auth/local`'s query: the one-time token of the link `npm start` printed. */
export const localSignInQuerySchema = z.strictObject({ token: z.string().min(1).max(512) });

/** `POST /auth/logout`'s body. */
export const signOutBodySchema = z.strictObject({
  /** End every session of this person, on every device ("log out everywhere"). */
  everywhere: z.boolean().default(false),
});
export type SignOutBody = z.input<typeof signOutBodySchema>;

/** `POST /auth/logout`'s answer. */
export const signedOutSchema = z.object({
  object: z.literal("signed_out"),
  /** Sessions ended by this request. */
  sessions_ended: z.number().int().min(0),
  /** The provider's own sign-out page, where it has one (OIDC RP-initiated logout); else `null`. */
  provider_logout_url: z.string().nullable(),
});
export type SignedOut = z.infer<typeof signedOutSchema>;
