import * as pulumi from "@pulumi/pulumi";

/** A resource as the program declared it: its type token, name, inputs and the provider it uses. */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** `urn::id` of the provider the resource is registered with; undefined means the default provider. */
  provider: string | undefined;
  custom: boolean;
  /** The `customTimeouts` option as the SDK sent it (Go durations; "" where unset). */
  customTimeouts: { create: string; update: string; delete: string } | undefined;
  /** URNs of the resources this one waits for (`dependsOn`, and its inputs' resources). */
  dependencies: string[];
}

const recorded: RecordedResource[] = [];

/** The parts of a registration request that Pulumi's mock interface does not pass on. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}
type Monitor = { registerResource(request: RegisterRequest, callback: unknown): unknown };
const requestOptions = new Map<string, Pick<RecordedResource, "customTimeouts" | "dependencies">>();

/**
 * Keeps each registration's resource options, which `newResource` never sees, keyed by type and
 * name: the program's names are unique per type.
 */
function recordOptions(): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    const timeouts = request.getCustomtimeouts();
    requestOptions.set(`${request.getType()}::${request.getName()}`, {
      customTimeouts:
        timeouts === undefined
          ? undefined
          : { create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() },
      dependencies: request.getDependenciesList(),
    });
    return register(request, callback);
  };
}

/**
 * Pulumi's mocks stand in for the engine and every provider: a resource is "created" with its inputs
 * as its outputs, and each registration is recorded, so policies are checked against exactly what the
 * program declares. Call before any resource is constructed.
 */
export function installMocks(): void {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        recorded.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          provider: args.provider,
          custom: args.custom ?? true,
          customTimeouts: undefined,
          dependencies: [],
          ...requestOptions.get(`${args.type}::${args.name}`),
        });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "sdgate",
    "test",
    false,
  );
  recordOptions();
}

/** Pulumi's wire form of a secret value: `{ [SIG_KEY]: SECRET_SIG, value }` (rpc.ts). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isWireSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && Reflect.get(value, SIG_KEY) === SECRET_SIG;
}

/** The value with every secret replaced by what it holds: what the provider sends to the cluster. */
export function unwrapSecrets(value: unknown): unknown {
  if (isWireSecret(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** The value with every secret dropped: what Pulumi shows and stores in plain text. */
export function withoutSecrets(value: unknown): unknown {
  if (isWireSecret(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v)]));
  }
  return value;
}

/** Every registration so far. */
export function recordedResources(): readonly RecordedResource[] {
  return recorded;
}

export function outputOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Whether an output is marked secret. */
export function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/**
 * Waits until every resource reachable from `roots` (through their fields, a few levels deep) is
 * registered, then until no registration arrives for a few ticks, so the record is complete.
 */
export async function settle(...roots: unknown[]): Promise<void> {
  const seen = new Set<unknown>();
  const urns: pulumi.Output<string>[] = [];
  const walk = (value: unknown, depth: number) => {
    if (depth > 4 || value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    if (pulumi.Resource.isInstance(value)) urns.push(value.urn);
    if (Array.isArray(value)) for (const item of value) walk(item, depth + 1);
    else if (pulumi.Resource.isInstance(value) || depth === 0) {
      for (const field of Object.values(value)) walk(field, depth + 1);
    }
  };
  walk(roots, 0);
  await Promise.all(urns.map(outputOf));
  let count = -1;
  while (count !== recorded.length) {
    count = recorded.length;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
