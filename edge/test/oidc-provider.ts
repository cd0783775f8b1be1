import type { IncomingMessage, ServerResponse } from "node:http";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { type OidcAccount, type OidcContext, Provider } from "oidc-provider";
import type { OidcTestAccount, OidcTestProvider } from "../src/identity/oidc/test-provider.d.ts";
import { listenOnLoopback } from "./loopback.ts";

/** Where the edge's callback route (and the sign-in tests') may send a person back from the provider. */
export const OIDC_TEST_REDIRECT_URIS = [
  "http://localhost/auth/oidc/callback",
  "https://example.com/auth/oidc/callback",
  "http://127.0.0.1:8787/auth/oidc/callback",
];
export const OIDC_TEST_POST_LOGOUT_REDIRECT_URIS = ["http://localhost/", "https://example.com/"];
const ROTATE_KEYS_PATH = "/__test/rotate-keys";

export const OIDC_TEST_ACCOUNTS: Record<string, OidcTestAccount> = {
  alice: {
    login: "alice",
    sub: "user-7f3c2a",
    email: "alice@example.com",
    name: "Alice Admin",
    groups: ["sdgate-admins", "ml-platform"],
  },
  bob: {
    login: "bob",
    sub: "user-19be04",
    email: "bob@example.com",
    name: "Bob Builder",
    groups: ["ml-research"],
  },
  carol: {
    login: "carol",
    sub: "user-c4r01",
    email: "carol@example.com",
    name: "Carol NoGroups",
    groups: [],
  },
  mallory: {
    login: "mallory",
    sub: "user-ma11ory",
    email: "mallory@example.com",
    name: "Mallory Forged",
    groups: ["sdgate-admins"],
  },
};

/** Mallory's ID tokens reach the client with their signature altered, as a forgery would. */
const FORGED_SUB = OIDC_TEST_ACCOUNTS.mallory?.sub ?? "";

/**
 * Alters one character of the signature of an ID token about `sub` in the token response `res` is
 * about to send (the length stays, so the library's Content-Length holds).
 */
function forgeFor(sub: string, res: ServerResponse): void {
  const end = res.end.bind(res);
  res.end = ((body: unknown, ...rest: never[]) => {
    if (typeof body !== "string" || !body.includes('"id_token"')) return end(body, ...rest);
    const answer = JSON.parse(body) as { id_token: string };
    const [header = "", payload = "", signature = ""] = answer.id_token.split(".");
    if ((JSON.parse(Buffer.from(payload, "base64url").toString()) as { sub?: string }).sub !== sub) {
      return end(body, ...rest);
    }
    const flipped = signature[20] === "A" ? "B" : "A";
    const forged = `${header}.${payload}.${signature.slice(0, 20)}${flipped}${signature.slice(21)}`;
    return end(body.replace(answer.id_token, forged), ...rest);
  }) as typeof res.end;
}

/** A running test OpenID Provider: what a relying party needs to know, and its controls. */
export interface RunningOidcProvider extends OidcTestProvider {
  /** Signs from now on with a new key; the old one stays in the JWKS, as providers do in a rollover. */
  rotateKeys(): Promise<string>;
  close(): Promise<void>;
}

export interface OidcProviderOptions {
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  accounts?: Record<string, OidcTestAccount>;
}

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: crypto.randomUUID(), alg: "RS256", use: "sig" };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The sign-in page a person (or a headless browser) sees: pick an account, or cancel. */
function signInPage(uid: string, accounts: OidcTestAccount[]): string {
  const options = accounts
    .map((account) => `<option value="${escapeHtml(account.login)}">${escapeHtml(account.name)}</option>`)
    .join("");
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test sign-in</title></head><body>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Account <select name="account">${options}</select></label>
<button type="submit">Sign in</button></form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>
</body></html>`;
}

type Stored = { payload: Record<string, unknown>; expiresAtMs: number };

/**
 * oidc-provider's storage interface over one Map, which outlives a key rotation (a new Provider
 * instance) so sign-ins in flight survive it; the library's own memory adapter warns on every start.
 */
function mapAdapter(store: Map<string, Stored>) {
  const live = (key: string) => {
    const entry = store.get(key);
    if (entry !== undefined && entry.expiresAtMs <= Date.now()) store.delete(key);
    return entry !== undefined && entry.expiresAtMs > Date.now() ? entry : undefined;
  };
  return class MapAdapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresInS: number) {
      store.set(`${this.model}:${id}`, { payload, expiresAtMs: Date.now() + expiresInS * 1000 });
    }
    async find(id: string) {
      return live(`${this.model}:${id}`)?.payload;
    }
    async findByUid(uid: string) {
      return this.findBy("uid", uid);
    }
    async findByUserCode(userCode: string) {
      return this.findBy("userCode", userCode);
    }
    async consume(id: string) {
      const entry = live(`${this.model}:${id}`);
      if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(`${this.model}:${id}`);
    }
    async revokeByGrantId(grantId: string) {
      for (const [key, entry] of store) if (entry.payload.grantId === grantId) store.delete(key);
    }
    private findBy(field: string, value: string) {
      for (const key of store.keys()) {
        const entry = key.startsWith(`${this.model}:`) ? live(key) : undefined;
        if (entry?.payload[field] === value) return entry.payload;
      }
      return undefined;
    }
  };
}

// Every test client is first-party, so consent is implied: the grant holds the scopes asked for
// (oidc-provider's recipes/skip_consent.md).
async function loadExistingGrant(ctx: OidcContext) {
  const { oidc } = ctx;
  const clientId = oidc.client?.clientId;
  const accountId = oidc.session?.accountId;
  if (clientId === undefined || accountId === undefined) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
  if (grantId !== undefined) return oidc.provider.Grant.find(grantId);
  const grant = new oidc.provider.Grant({ clientId, accountId });
  grant.addOIDCScope(typeof oidc.params?.scope === "string" ? oidc.params.scope : "openid");
  await grant.save();
  return grant;
}

/**
 * Starts `oidc-provider` on 127.0.0.1 (a free port) with one confidential client (PKCE required,
 * `client_secret_basic` or `_post`), the accounts of {@link OIDC_TEST_ACCOUNTS} (claims `email`,
 * `email_verified`, `name`, and `groups` under the scope `groups`, which the provider serves at
 * userinfo), RP-initiated logout, and its own sign-in form at `/interaction/{uid}` instead of the
 * library's development pages: `POST …/login` with `account=alice` signs in, `POST …/abort` answers
 * the client `access_denied`. `POST /__test/rotate-keys` rolls the signing key over. Mallory's ID
 * tokens leave with a broken signature, so a client that skips the signature check is caught.
 *
 * @example
 * const provider = await startOidcProvider({ redirectUris: ["http://localhost/auth/oidc/callback"] });
 * // … provider.issuer, provider.clientId, provider.clientSecret …
 * await provider.close();
 */
export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<RunningOidcProvider> {
  const accounts = options.accounts ?? OIDC_TEST_ACCOUNTS;
  const bySub = new Map(Object.values(accounts).map((account) => [account.sub, account]));
  const clientId = `sdgate-test-${crypto.randomUUID()}`;
  const clientSecret = `secret-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  const redirectUris = options.redirectUris ?? OIDC_TEST_REDIRECT_URIS;
  const postLogoutRedirectUris = options.postLogoutRedirectUris ?? OIDC_TEST_POST_LOGOUT_REDIRECT_URIS;
  const cookieKeys = [crypto.randomUUID()];
  const keys: JWK[] = [await signingKey()];
  const adapter = mapAdapter(new Map());

  let provider: Provider | undefined;
  const server = await listenOnLoopback(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const current = provider;
    if (current === undefined) throw new Error("the provider is not up yet");
    if (req.method === "POST" && url.pathname === ROTATE_KEYS_PATH) {
      keys.unshift(await signingKey());
      provider = build();
      sendJson(res, 200, { kid: keys[0]?.kid });
      return;
    }
    const interaction = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/.exec(url.pathname);
    if (interaction) return interact(current, req, res, interaction[2]);
    if (req.method === "POST" && url.pathname === "/token") forgeFor(FORGED_SUB, res);
    current.callback()(req, res);
  });
  const issuer = server.url;

  function build(): Provider {
    const built = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: redirectUris,
          post_logout_redirect_uris: postLogoutRedirectUris,
          response_types: ["code"],
          grant_types: ["authorization_code"],
          token_endpoint_auth_method: "client_secret_basic",
        },
      ],
      jwks: { keys },
      cookies: { keys: cookieKeys },
      claims: {
        openid: ["sub"],
        email: ["email", "email_verified"],
        profile: ["name"],
        groups: ["groups"],
      },
      findAccount: (_ctx: unknown, sub: string): OidcAccount | undefined => {
        const account = bySub.get(sub);
        if (account === undefined) return undefined;
        return {
          accountId: sub,
          claims: () => ({
            sub,
            email: account.email,
            email_verified: true,
            name: account.name,
            groups: account.groups,
          }),
        };
      },
      features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
      interactions: { url: (_ctx: unknown, found: { uid: string }) => `/interaction/${found.uid}` },
      pkce: { required: () => true },
      loadExistingGrant,
      adapter,
      ttl: {
        AuthorizationCode: 60,
        AccessToken: 600,
        IdToken: 600,
        Interaction: 600,
        Grant: 600,
        Session: 600,
      },
    });
    // The library logs each refused request (replayed codes, bad grants); tests provoke those on purpose.
    built.on("server_error", (_ctx, error) => console.error("test OIDC provider:", error));
    return built;
  }

  async function interact(
    current: Provider,
    req: IncomingMessage,
    res: ServerResponse,
    action: string | undefined,
  ): Promise<void> {
    const details = await current.interactionDetails(req, res);
    if (action === undefined) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(signInPage(details.uid, Object.values(accounts)));
      return;
    }
    if (req.method !== "POST") return sendJson(res, 405, { error: "method_not_allowed" });
    if (action === "abort") {
      const result = { error: "access_denied", error_description: "The person cancelled the sign-in." };
      return current.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    }
    const login = (await readForm(req)).get("account") ?? "";
    const account = accounts[login];
    if (account === undefined) return sendJson(res, 400, { error: `no test account ${login}` });
    await current.interactionFinished(
      req,
      res,
      { login: { accountId: account.sub } },
      { mergeWithLastSubmission: false },
    );
  }

  provider = build();
  return {
    issuer,
    clientId,
    clientSecret,
    redirectUris,
    postLogoutRedirectUris,
    accounts,
    rotateKeysUrl: `${issuer}${ROTATE_KEYS_PATH}`,
    rotateKeys: async () => {
      const response = await fetch(`${issuer}${ROTATE_KEYS_PATH}`, { method: "POST" });
      const { kid } = (await response.json()) as { kid: string };
      return kid;
    },
    close: () => server.close(),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
