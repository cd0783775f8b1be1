/**
 * The Pod Security Standards' "baseline" and "restricted" checks that a pod of this program could
 * meet or miss, as the PodSecurity admission plugin applies them to a namespace's `enforce` level
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/). Returns what it refuses.
 */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

interface SecurityContext {
  privileged?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
}
interface Container {
  name: string;
  securityContext?: SecurityContext;
  ports?: { hostPort?: number }[];
}
export interface PodSpecForAdmission {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Record<string, unknown>[];
}

const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);
const RESTRICTED_VOLUMES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

export function podSecurityViolations(pod: PodSpecForAdmission, level: PodSecurityLevel): string[] {
  if (level === "privileged") return [];
  const problems: string[] = [];
  const containers = [...pod.containers, ...(pod.initContainers ?? [])];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push("host namespaces");
  for (const volume of pod.volumes ?? [])
    if ("hostPath" in volume) problems.push(`hostPath volume ${String(volume.name)}`);
  for (const c of containers) {
    const context = c.securityContext ?? {};
    if (context.privileged) problems.push(`${c.name}: privileged`);
    if (c.ports?.some((port) => port.hostPort !== undefined)) problems.push(`${c.name}: hostPort`);
    for (const cap of context.capabilities?.add ?? [])
      if (!BASELINE_CAPABILITIES.has(cap)) problems.push(`${c.name}: adds ${cap}`);
    const seccomp = context.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    if (seccomp === "Unconfined") problems.push(`${c.name}: seccomp Unconfined`);
    if (level !== "restricted") continue;
    if (!(context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot))
      problems.push(`${c.name}: may run as root`);
    if ((context.runAsUser ?? pod.securityContext?.runAsUser) === 0)
      problems.push(`${c.name}: runs as UID 0`);
    if (context.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allows privilege escalation`);
    if (!context.capabilities?.drop?.includes("ALL"))
      problems.push(`${c.name}: does not drop ALL capabilities`);
    for (const cap of context.capabilities?.add ?? [])
      if (cap !== "NET_BIND_SERVICE") problems.push(`${c.name}: adds ${cap} (restricted)`);
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
      problems.push(`${c.name}: no seccomp profile`);
  }
  if (level === "restricted") {
    for (const volume of pod.volumes ?? []) {
      const type = Object.keys(volume).find((key) => key !== "name");
      if (type !== undefined && !RESTRICTED_VOLUMES.has(type))
        problems.push(`${type} volume ${String(volume.name)}`);
    }
  }
  return problems;
}
