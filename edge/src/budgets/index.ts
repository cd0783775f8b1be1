// Monthly budgets of teams (and the alerts of keys' own): what routes and the identity code import.
export { budgetAlertSecret } from "./alert.ts";
export {
  assignKeyTeam,
  type BudgetConfig,
  readTeamBudget,
  removeTeamBudget,
  setTeamBudget,
  type TeamBudgetSettings,
} from "./service.ts";
export { TeamBudget } from "./team-budget.ts";
