import { isSdgateApiError } from "@sdgate/sdk";
import type { Principal } from "@sdgate/shared";
import { useEffect, useMemo, useState } from "preact/hooks";
import { SignInPrompt } from "./components/sign-in-prompt.tsx";
import { TeamKey, teamsOf } from "./components/team-key.tsx";
import { keyClient, sessionClient } from "./session-client.ts";
import { Nav } from "./shell/nav.tsx";
import { PUBLIC_PAGES, pagesFor } from "./shell/pages.tsx";
import { type Route, useRoute } from "./shell/route.ts";
import { type StudioKey, storedKey } from "./studio-key.ts";

type Who =
  | { state: "loading" }
  | { state: "signed-out" }
  | { state: "signed-in"; principal: Principal }
  | { state: "error"; message: string };

/** A signed-in person: the pages they may open, the one the URL names, and their Studio key where it needs one. */
function SignedIn(props: { principal: Principal; route: Route }) {
  const { principal, route } = props;
  const [key, setKey] = useState<StudioKey | null>(() => storedKey(teamsOf(principal)[0]?.id ?? null));
  const client = useMemo(() => (key === null ? null : keyClient(key.key)), [key]);
  const session = useMemo(() => sessionClient(), []);
  const pages = pagesFor(principal);
  const page = pages.find((candidate) => candidate.id === route.page) ?? pages[0];
  if (page === undefined)
    return (
      <section class="card">
        <h2>Nothing to open yet</h2>
        <p>You are signed in, but none of your roles lets you use a page of the Studio. Ask an admin.</p>
      </section>
    );
  const { Page } = page;
  return (
    <>
      <Nav pages={pages} current={page.id} />
      {page.needs === "key" ? <TeamKey principal={principal} onKey={setKey} /> : null}
      {page.needs === "key" && client === null ? null : (
        <Page studio={{ principal, session, key, client, route }} />
      )}
    </>
  );
}

/** The Studio: who is signed in (`GET /v1/me` on the session cookie), then what they may do. */
export function App() {
  const route = useRoute();
  const [who, setWho] = useState<Who>({ state: "loading" });
  useEffect(() => {
    sessionClient()
      .me()
      .then(
        (principal) =>
          setWho(principal.kind === "user" ? { state: "signed-in", principal } : { state: "signed-out" }),
        (error: unknown) =>
          setWho(
            isSdgateApiError(error) && error.status === 401
              ? { state: "signed-out" }
              : { state: "error", message: String(error) },
          ),
      );
  }, []);

  const Public = PUBLIC_PAGES[route.page];
  return (
    <>
      <header>
        <h1>sdgate Studio</h1>
        {who.state === "signed-in" ? (
          <p class="who">{who.principal.name ?? who.principal.email ?? who.principal.id}</p>
        ) : null}
      </header>
      <main>
        {Public !== undefined ? <Public route={route} /> : null}
        {Public === undefined && who.state === "loading" ? <p>Loading…</p> : null}
        {Public === undefined && who.state === "signed-out" ? <SignInPrompt /> : null}
        {Public === undefined && who.state === "error" ? <p role="alert">{who.message}</p> : null}
        {Public === undefined && who.state === "signed-in" ? (
          <SignedIn principal={who.principal} route={route} />
        ) : null}
      </main>
    </>
  );
}
