/**
 * The contract between edge/test/oidc-provider.ts (Node side: a real OpenID Provider, `oidc-provider`,
 * on 127.0.0.1) and the tests in workerd, which receive it as the `OIDC_TEST` binding. Types only
 * (a declaration file), so both TypeScript projects can import it; `type`, not `interface`, so
 * miniflare takes it as JSON.
 */
export type OidcTestAccount = {
  /** What a person picks on the provider's sign-in form (`account=alice`). */
  login: string;
  sub: string;
  email: string;
  name: string;
  groups: string[];
};

export type OidcTestProvider = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** By login name. */
  accounts: Record<string, OidcTestAccount>;
  /** `POST` here makes the provider sign with a new key; the previous one stays published. */
  rotateKeysUrl: string;
};
