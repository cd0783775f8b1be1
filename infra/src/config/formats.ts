import { z } from "zod";

/** Lowercase DNS label (RFC 1123) short enough to prefix Kubernetes object names. */
export const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/,
    "must be 1-40 lowercase letters, digits or '-' (a DNS label)",
  );

export const hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "must be a DNS hostname such as gpu-aws-use1.example.com",
  );
