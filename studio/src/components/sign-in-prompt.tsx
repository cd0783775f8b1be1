/** Where signing in through the identity provider lands: back on the Studio. */
export const SIGN_IN_URL = `/auth/oidc/login?return_to=${encodeURIComponent("/studio/")}`;

/** What a person who is not signed in sees. */
export function SignInPrompt() {
  return (
    <section class="card" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in to use the Studio</h2>
      <p>The Studio generates images with your team's models and limits, so it needs to know who you are.</p>
      <a class="button" href={SIGN_IN_URL}>
        Sign in
      </a>
    </section>
  );
}
