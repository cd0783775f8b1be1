/** Hono's typed context variables for the backend's server. */
export interface BackendEnv {
  Variables: {
    requestId: string;
    rawBody: Uint8Array;
    /** A streamed generate call counts its status in `sdgate_requests_total` when it ends. */
    countedByStream: boolean;
  };
}
