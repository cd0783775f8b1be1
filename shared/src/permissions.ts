import { z } from "zod";

/**
 * What a caller may do, as `resource.action`. Deny by default: an operation names the one permission
 * it needs (`OPERATIONS[…].permission`), and a caller holds a permission only through a role.
 */
export const PERMISSIONS = [
  "images.generate",
  "images.read",
  "jobs.read",
  "jobs.cancel",
  "models.read",
  "models.approve",
  "models.register",
  "keys.read",
  "keys.create",
  "keys.manage",
  "usage.read",
  "audit.read",
  "backends.read",
  "members.read",
  "members.manage",
  "teams.manage",
  "budgets.manage",
  "policies.manage",
] as const;
export type Permission = (typeof PERMISSIONS)[number];
export const permissionSchema = z.enum(PERMISSIONS);

export const ROLES = ["admin", "team_admin", "developer", "model_approver", "viewer", "billing"] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

const VIEW: readonly Permission[] = ["images.read", "jobs.read", "models.read", "keys.read", "usage.read"];

/**
 * Each role's permissions. `admin` holds all of them, everywhere; the others hold theirs within a
 * team (a person's role in each team they belong to). `billing` sees money and nothing else. Only an
 * admin sets budgets: a team's own admin raising its limit would make it no limit. Registering models
 * and asking for promotions (`models.register`) is for the people who build them; approving
 * (`models.approve`) is a `model_approver`'s, who never approves their own request.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  team_admin: [
    ...VIEW,
    "images.generate",
    "jobs.cancel",
    "keys.create",
    "keys.manage",
    "members.read",
    "members.manage",
    "audit.read",
    "models.register",
  ],
  developer: [...VIEW, "images.generate", "jobs.cancel", "keys.create", "models.register"],
  model_approver: ["models.read", "models.approve"],
  viewer: VIEW,
  billing: ["usage.read"],
};

/**
 * Who is calling, by the credential it showed: an API key (a service identity of its team), a person
 * (a session, or Cloudflare Access with a user's token), a service (an Access service token), or the
 * admin token (`break_glass`: every use audited as such).
 */
export const PRINCIPAL_KINDS = ["key", "user", "service", "break_glass"] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** The permissions a set of roles grants, each once, in `PERMISSIONS` order. */
export function permissionsOf(roles: Iterable<Role>): Permission[] {
  const granted = new Set<Permission>();
  for (const role of roles) for (const permission of ROLE_PERMISSIONS[role]) granted.add(permission);
  return PERMISSIONS.filter((permission) => granted.has(permission));
}

/** What each API-key scope grants: `read` looks, `generate` spends GPU time and acts on jobs. */
export const KEY_SCOPE_PERMISSIONS = {
  read: ["images.read", "jobs.read", "models.read"],
  generate: ["images.read", "jobs.read", "models.read", "images.generate", "jobs.cancel"],
} as const satisfies Readonly<Record<"read" | "generate", readonly Permission[]>>;

/** A team the caller acts for, and their role in it. */
export const principalTeamSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  role: roleSchema,
});

/** `GET /v1/me`: who is calling, as the edge sees the credential it was shown. */
export const principalSchema = z.object({
  object: z.literal("principal"),
  kind: z.enum(PRINCIPAL_KINDS),
  /** The key's id, the person's id, the service token's Client ID, or `admin_token`. */
  id: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  teams: z.array(principalTeamSchema),
  /** Roles held everywhere (`admin`); team roles are in `teams`. */
  roles: z.array(roleSchema),
  /** What this credential may do now, each once. */
  permissions: z.array(permissionSchema),
});
export type Principal = z.infer<typeof principalSchema>;
