import type {
  AddTeamMemberBody,
  DeletedTeam,
  MembershipView,
  RemovedMember,
  TeamBudgetBody,
  TeamBudgetStatus,
  TeamList,
  TeamMemberList,
  TeamModelsBody,
  TeamModelsView,
  TeamPolicyBody,
  TeamPolicyView,
  TeamView,
  UpdateTeamMemberBody,
  WebhookSecret,
} from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * Teams and their members, with the admin token: `listTeams`, `createTeam`, `getTeam`, `updateTeam`,
 * `deleteTeam`, `listTeamMembers`, `addTeamMember`, `updateTeamMember`, `removeTeamMember`.
 *
 * @example
 * const admin = new Sdgate({ baseUrl, adminToken });
 * const team = await admin.teams.create("Search");
 * await admin.teams.addMember(team.id, { user_id: "usr_…", role: "developer" });
 */
export class Teams {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Every team, by name.
   *
   * @example
   * const { data } = await admin.teams.list();
   */
  async list(options: RequestOptions = {}): Promise<TeamList> {
    return callOperation(this.#transport, "listTeams", {}, options);
  }

  /**
   * Makes a team; a name another team has (whatever its case) is a 409. Never retried on a lost answer.
   *
   * @example
   * const { id } = await admin.teams.create("Search");
   */
  async create(name: string, options: RequestOptions = {}): Promise<TeamView> {
    return callOperation(this.#transport, "createTeam", { body: { name } }, options);
  }

  /**
   * One team (`team_…`).
   *
   * @example
   * const { name } = await admin.teams.get("team_0f1e2d3c4b5a6978");
   */
  async get(id: string, options: RequestOptions = {}): Promise<TeamView> {
    return callOperation(this.#transport, "getTeam", { id }, options);
  }

  /**
   * Renames a team.
   *
   * @example
   * await admin.teams.rename("team_…", "Search & Discovery");
   */
  async rename(id: string, name: string, options: RequestOptions = {}): Promise<TeamView> {
    return callOperation(this.#transport, "updateTeam", { id, body: { name } }, options);
  }

  /**
   * Deletes a team with its memberships and role mappings; a 409 while it owns a key that works.
   *
   * @example
   * await admin.teams.delete("team_…");
   */
  async delete(id: string, options: RequestOptions = {}): Promise<DeletedTeam> {
    return callOperation(this.#transport, "deleteTeam", { id }, options);
  }

  /**
   * The team's members, with their email, name and role.
   *
   * @example
   * const { data } = await admin.teams.members("team_…");
   */
  async members(id: string, options: RequestOptions = {}): Promise<TeamMemberList> {
    return callOperation(this.#transport, "listTeamMembers", { id }, options);
  }

  /**
   * Gives a person a role in the team by hand; a 409 if they are a member already.
   *
   * @example
   * await admin.teams.addMember("team_…", { user_id: "usr_…", role: "developer" });
   */
  async addMember(
    id: string,
    body: AddTeamMemberBody,
    options: RequestOptions = {},
  ): Promise<MembershipView> {
    return callOperation(this.#transport, "addTeamMember", { id, body }, options);
  }

  /**
   * Changes a member's role (from now on given by hand: sign-in no longer recomputes it).
   *
   * @example
   * await admin.teams.updateMember("team_…", "usr_…", { role: "team_admin" });
   */
  async updateMember(
    id: string,
    userId: string,
    body: UpdateTeamMemberBody,
    options: RequestOptions = {},
  ): Promise<MembershipView> {
    return callOperation(
      this.#transport,
      "updateTeamMember",
      { id, params: { user_id: userId }, body },
      options,
    );
  }

  /**
   * Removes a person from the team. A membership a role mapping gave comes back at their next sign-in
   * while the rule and their group stand.
   *
   * @example
   * await admin.teams.removeMember("team_…", "usr_…");
   */
  async removeMember(id: string, userId: string, options: RequestOptions = {}): Promise<RemovedMember> {
    return callOperation(this.#transport, "removeTeamMember", { id, params: { user_id: userId } }, options);
  }

  /**
   * The team's monthly budget (`null` without one) and this month's spent and held credits.
   *
   * @example
   * const { budget, usage } = await admin.teams.budget("team_…");
   * console.log(usage.spent, "of", budget?.monthly_credits ?? "no limit");
   */
  async budget(id: string, options: RequestOptions = {}): Promise<TeamBudgetStatus> {
    return callOperation(this.#transport, "getTeamBudget", { id }, options);
  }

  /**
   * Sets the team's monthly credits (past them its keys get 402 `budget_exceeded`), the percent at
   * which an alert is sent (default 80) and where alerts go (`alert_webhook_url`: Slack's incoming
   * webhooks and generic receivers both read them). Sets, so retrying is safe.
   *
   * @example
   * await admin.teams.setBudget("team_…", { monthly_credits: 100_000, alert_webhook_url: "https://hooks.slack.com/…" });
   */
  async setBudget(id: string, body: TeamBudgetBody, options: RequestOptions = {}): Promise<TeamBudgetStatus> {
    return callOperation(this.#transport, "setTeamBudget", { id, body }, options);
  }

  /**
   * Removes the team's budget: its keys are limited by their own limits only.
   *
   * @example
   * await admin.teams.removeBudget("team_…");
   */
  async removeBudget(id: string, options: RequestOptions = {}): Promise<TeamBudgetStatus> {
    return callOperation(this.#transport, "deleteTeamBudget", { id }, options);
  }

  /**
   * The secret (`whsec_…`) the team's budget alerts are signed with, for {@link verifyWebhookSignature}.
   *
   * @example
   * const { key } = await admin.teams.budgetAlertSecret("team_…");
   */
  async budgetAlertSecret(id: string, options: RequestOptions = {}): Promise<WebhookSecret> {
    return callOperation(this.#transport, "getTeamBudgetAlertSecret", { id }, options);
  }

  /**
   * The team's prompt policy (`policy: null` without one): the rules its keys' requests are checked
   * against before any GPU work.
   *
   * @example
   * const { policy } = await admin.teams.policy("team_…");
   */
  async policy(id: string, options: RequestOptions = {}): Promise<TeamPolicyView> {
    return callOperation(this.#transport, "getTeamPolicy", { id }, options);
  }

  /**
   * Sets the team's prompt policy; a request that breaks a rule answers 403 `policy_violation` (or
   * 400 `policy_rejected`) naming the rule. Sets, so retrying is safe.
   *
   * @example
   * await admin.teams.setPolicy("team_…", { rules: [{ id: "no-logos", kind: "blocked_terms", terms: ["logo"] }] });
   */
  async setPolicy(id: string, body: TeamPolicyBody, options: RequestOptions = {}): Promise<TeamPolicyView> {
    return callOperation(this.#transport, "setTeamPolicy", { id, body }, options);
  }

  /**
   * Removes the team's prompt policy.
   *
   * @example
   * await admin.teams.removePolicy("team_…");
   */
  async removePolicy(id: string, options: RequestOptions = {}): Promise<TeamPolicyView> {
    return callOperation(this.#transport, "deleteTeamPolicy", { id }, options);
  }

  /**
   * The models the team's keys may use (`models: null`: every model).
   *
   * @example
   * const { models } = await admin.teams.models("team_…");
   */
  async models(id: string, options: RequestOptions = {}): Promise<TeamModelsView> {
    return callOperation(this.#transport, "getTeamModels", { id }, options);
  }

  /**
   * Grants the team models: `sd15` (all of it), `sd15@production` (an alias), `sd15@v3` (a version);
   * `null` for every model. Its keys' requests for others answer 403 `model_not_granted`. Sets, so
   * retrying is safe.
   *
   * @example
   * await admin.teams.setModels("team_…", { models: ["sd15@production"] });
   */
  async setModels(id: string, body: TeamModelsBody, options: RequestOptions = {}): Promise<TeamModelsView> {
    return callOperation(this.#transport, "setTeamModels", { id, body }, options);
  }
}
