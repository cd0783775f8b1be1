import { isSdgateApiError } from "@sdgate/sdk";
import type { Principal } from "@sdgate/shared";
import { useEffect, useMemo, useState } from "preact/hooks";
import { SignInPrompt } from "./components/sign-in-prompt.tsx";
import { TeamKey, teamsOf } from "./components/team-key.tsx";
import { Playground } from "./playground/playground.tsx";
import { keyClient, sessionClient } from "./session-client.ts";
import { type StudioKey, storedKey } from "./studio-key.ts";

type Who =
  | { state: "loading" }
  | { state: "signed-out" }
  | { state: "signed-in"; principal: Principal }
  | { state: "error"; message: string };

/** A signed-in person: their team's Studio key, then the playground on it. */
function SignedIn(props: { principal: Principal }) {
  const [key, setKey] = useState<StudioKey | null>(() => storedKey(teamsOf(props.principal)[0]?.id ?? null));
  const client = useMemo(() => (key === null ? null : keyClient(key.key)), [key]);
  return (
    <>
      <TeamKey principal={props.principal} onKey={setKey} />
      {client === null ? null : <Playground key={key?.id} client={client} />}
    </>
  );
}

/** The Studio: who is signed in (`GET /v1/me` on the session cookie), then what they may do. */
export function App() {
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

  return (
    <>
      <header>
        <h1>sdgate Studio</h1>
        {who.state === "signed-in" ? (
          <p class="who">{who.principal.name ?? who.principal.email ?? who.principal.id}</p>
        ) : null}
      </header>
      <main>
        {who.state === "loading" ? <p>Loading…</p> : null}
        {who.state === "signed-out" ? <SignInPrompt /> : null}
        {who.state === "error" ? <p role="alert">{who.message}</p> : null}
        {who.state === "signed-in" ? <SignedIn principal={who.principal} /> : null}
      </main>
    </>
  );
}
