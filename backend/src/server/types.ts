/** Hono's typed context variables for the backend's server. */
export interface BackendEnv {
  Variables: {
    requestId: string;
    rawBody: Uint8Array;
  };
}
