import type { TeamBudgetStatus } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { navigate } from "../shell/route.ts";
import { ActionError, LoadState } from "./action-error.tsx";
import { ActionForm, TextField } from "./action-form.tsx";
import { ConfirmButton } from "./confirm-button.tsx";
import { creditsOf, whenOf } from "./format.ts";
import { SecretOnce } from "./secret-once.tsx";
import type { SectionProps } from "./section-props.ts";
import { mayEverywhere } from "./sections.ts";
import { useTeamChoices } from "./teams/team-choices.ts";
import { useAction, useLoaded } from "./use-loaded.ts";

/** A whole number from a field, `null` when empty (the API names a value that is not one). */
function numberOrNull(text: string): number | null {
  return text.trim() === "" ? null : Number(text);
}

/** What the team's budget is and how much of it this month has used. */
function BudgetStatus(props: { status: TeamBudgetStatus }) {
  const { budget, usage } = props.status;
  return (
    <dl class="facts">
      <dt>Monthly budget</dt>
      <dd>
        {budget?.monthly_credits == null
          ? "None (only each key's own limits)"
          : creditsOf(budget.monthly_credits)}
      </dd>
      <dt>Spent in {usage.month}</dt>
      <dd>
        {creditsOf(usage.spent)}, {creditsOf(usage.reserved)} held by running work
      </dd>
      <dt>Left</dt>
      <dd>{usage.remaining === null ? "No limit" : creditsOf(usage.remaining)}</dd>
      <dt>Alert</dt>
      <dd>
        {budget === null
          ? "—"
          : `at ${budget.soft_percent} %${budget.alert_webhook_url === null ? ", no receiver" : ` to ${budget.alert_webhook_url}`}`}
      </dd>
      <dt>Resets</dt>
      <dd>{whenOf(usage.resets_at)}</dd>
    </dl>
  );
}

/** Sets (or clears, after asking) the budget, and reveals the alerts' signing secret. */
function BudgetForm(
  props: SectionProps & { teamId: string; status: TeamBudgetStatus; onChange: () => void },
) {
  const { session } = props.studio;
  const budget = props.status.budget;
  const [credits, setCredits] = useState(
    budget?.monthly_credits == null ? "" : String(budget.monthly_credits),
  );
  const [soft, setSoft] = useState(String(budget?.soft_percent ?? 80));
  const [url, setUrl] = useState(budget?.alert_webhook_url ?? "");
  const [secret, setSecret] = useState<string | null>(null);
  const save = useAction(
    () =>
      session.teams.setBudget(props.teamId, {
        monthly_credits: numberOrNull(credits),
        soft_percent: Number(soft),
        alert_webhook_url: url.trim() === "" ? null : url.trim(),
      }),
    props.onChange,
  );
  const clear = useAction(() => session.teams.removeBudget(props.teamId), props.onChange);
  const reveal = useAction(
    () => session.teams.budgetAlertSecret(props.teamId),
    (found) => setSecret(found.key),
  );
  return (
    <>
      <ActionForm label="Set the budget" class="card row" onSubmit={save.run}>
        <TextField
          label="Monthly credits"
          name="monthly_credits"
          numeric
          value={credits}
          onInput={setCredits}
          problem={save.problem}
          errorId="budget-error"
        />
        <TextField
          label="Alert at (% used)"
          name="soft_percent"
          numeric
          value={soft}
          onInput={setSoft}
          problem={save.problem}
          errorId="budget-error"
        />
        <TextField
          label="Alert webhook URL"
          name="alert_webhook_url"
          type="url"
          placeholder="https://hooks.slack.com/…"
          value={url}
          onInput={setUrl}
          problem={save.problem}
          errorId="budget-error"
        />
        <button type="submit" class="primary" disabled={save.busy}>
          Set budget
        </button>
        <ActionError id="budget-error" problem={save.problem} />
      </ActionForm>
      <div class="row">
        {budget === null ? null : (
          <ConfirmButton
            label="Clear budget"
            question="Clear this team's budget? Its keys are then limited by their own limits only."
            busy={clear.busy}
            onConfirm={clear.run}
          />
        )}
        <button type="button" disabled={reveal.busy} onClick={reveal.run}>
          Reveal alert signing secret
        </button>
        <ActionError problem={clear.problem ?? reveal.problem} />
      </div>
      {secret === null ? null : (
        <SecretOnce
          label="Alert signing secret"
          secret={secret}
          note="Alerts are signed with this secret (Standard Webhooks); give it to their receiver only."
          onDone={() => setSecret(null)}
        />
      )}
    </>
  );
}

/** A team's monthly budget (`/admin/teams/{id}/budget`): anyone with `usage.read` there sees it, an admin sets it. */
export function BudgetsSection(props: SectionProps) {
  const { session, principal } = props.studio;
  const [teams] = useTeamChoices(props.studio, "usage.read");
  const teamList = teams.state === "ok" ? teams.data : [];
  const teamId = props.params[0] ?? teamList[0]?.id;
  const [status, reload] = useLoaded(
    () => (teamId === undefined ? Promise.resolve(null) : session.teams.budget(teamId)),
    [teamId],
  );
  if (teams.state !== "ok") return <LoadState loaded={teams} />;
  if (teamList.length === 0) return <p>No team to show a budget for.</p>;
  return (
    <>
      <label class="team-pick">
        Team
        <select
          value={teamId}
          onChange={(event) => navigate("admin", ["budgets", event.currentTarget.value])}
        >
          {teamList.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
      </label>
      {status.state !== "ok" ? (
        <LoadState loaded={status} />
      ) : status.data === null || teamId === undefined ? null : (
        <>
          <BudgetStatus status={status.data} />
          {mayEverywhere(principal, "budgets.manage") ? (
            <BudgetForm
              key={`${teamId}-${status.data.budget?.updated_at ?? "none"}`}
              {...props}
              teamId={teamId}
              status={status.data}
              onChange={reload}
            />
          ) : null}
        </>
      )}
    </>
  );
}
