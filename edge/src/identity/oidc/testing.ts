const MAX_HOPS = 10;

/**
 * Follows an authorization URL through the test provider (redirects, cookies, its sign-in form) as a
 * browser would, signing in as `account` (or pressing Cancel), and returns the URL the provider sent
 * the browser back to: `redirectUri?code=…&state=…&iss=…`, or `?error=access_denied…`.
 *
 * @example
 * const callback = await signInAt(authorizationUrl, { account: "alice", redirectUri });
 */
export async function signInAt(
  authorizationUrl: string,
  options: { account: string; redirectUri: string; cancel?: boolean },
): Promise<URL> {
  const cookies = new Map<string, string>();
  const redirect = new URL(options.redirectUri);
  let request: { url: URL; form?: URLSearchParams } = { url: new URL(authorizationUrl) };
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const headers = new Headers({
      cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; "),
    });
    const response = await fetch(request.url, {
      method: request.form ? "POST" : "GET",
      redirect: "manual",
      headers,
      ...(request.form ? { body: request.form } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      if (at > 0) cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    const location = response.headers.get("location");
    if (location === null) {
      throw new Error(
        `sign-in stopped at ${request.url.pathname}: ${response.status} ${await response.text()}`,
      );
    }
    await response.body?.cancel();
    const next = new URL(location, request.url);
    if (next.origin === redirect.origin && next.pathname === redirect.pathname) return next;
    request = /^\/interaction\/[^/]+$/.test(next.pathname)
      ? {
          url: new URL(`${next.pathname}/${options.cancel ? "abort" : "login"}`, next),
          form: new URLSearchParams({ account: options.account }),
        }
      : { url: next };
  }
  throw new Error(`sign-in did not come back to ${options.redirectUri} in ${MAX_HOPS} redirects`);
}
