import type { StreamFakes } from "./stream-fakes.ts";

// The job tests' part of the test worker's env: the streaming fakes and webhook receiver.
declare global {
  namespace Cloudflare {
    interface Env {
      STREAM_FAKES: StreamFakes;
    }
  }
}
