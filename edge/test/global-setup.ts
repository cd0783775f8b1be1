import { Keyring, parseKeyringSpec, randomHex } from "@sdgate/shared";
import type { TestProject } from "vitest/node";
import type { OidcTestProvider } from "../src/identity/oidc/test-provider.d.ts";
import { FAKE_BEHAVIOURS, type FakeBackends } from "../src/test-support/fake-backends.ts";
import { closedPortUrl, type FakeBackend, startFakeBackend } from "./fake-backend.ts";
import { startOidcProvider } from "./oidc-provider.ts";
import { setupStreamFakes } from "./stream-fakes.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fakeBackends: FakeBackends;
    oidcProvider: OidcTestProvider;
  }
}

/** Starts one fake backend per behaviour on 127.0.0.1 and provides their URLs and keyring to the tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const hmacKeys = `edge-test:${randomHex(24)}`;
  const keys = parseKeyringSpec(hmacKeys);
  if (!keys.ok) throw new Error(keys.error);
  const keyring = new Keyring(keys.value);
  const started: FakeBackend[] = await Promise.all(
    FAKE_BEHAVIOURS.map((behaviour) => startFakeBackend(behaviour, keyring)),
  );
  const urls = Object.fromEntries(FAKE_BEHAVIOURS.map((behaviour, i) => [behaviour, started[i]?.url]));
  const fakeBackends = { hmacKeys, urls: { ...urls, down: await closedPortUrl() } } as FakeBackends;
  project.provide("fakeBackends", fakeBackends);
  const stopStreamFakes = await setupStreamFakes(project, keyring);
  // A real OpenID Provider for sign-in tests (src/identity/oidc/); its controls stay on this side.
  const oidc = await startOidcProvider();
  const { close: _close, rotateKeys: _rotateKeys, ...oidcProvider } = oidc;
  project.provide("oidcProvider", oidcProvider);
  return async () => {
    await Promise.all(started.map((backend) => backend.close()));
    await stopStreamFakes();
    await oidc.close();
  };
}
