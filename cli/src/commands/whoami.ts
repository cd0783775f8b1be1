import { UsageError } from "../io.ts";
import { adminClient, apiClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import type { Command } from "./command.ts";
import { printJson } from "./subcommands.ts";

export const WHOAMI_USAGE = `Usage: sdgate whoami [--api-key <key> | --admin-token <token>] [--url <url>] [--json]

Who the edge takes you for (GET /v1/me): the API key ($SDGATE_API_KEY) when one is set, else the
admin token ($SDGATE_ADMIN_TOKEN, break-glass): its kind, id, teams, roles and the permissions in force.`;

/** `sdgate whoami`: `GET /v1/me` as a few lines. */
export const whoamiCommand: Command = {
  summary: "who the edge takes your credential for, and what it may do",
  usage: WHOAMI_USAGE,
  async run(args, io) {
    const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, "api-key": { type: "string" } });
    if (values.help) {
      io.out(`${WHOAMI_USAGE}\n`);
      return;
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'.`);
    const useKey =
      values["admin-token"] === undefined && (values["api-key"] ?? io.env.SDGATE_API_KEY) !== undefined;
    const client = useKey ? apiClient(values, io) : adminClient(values, io);
    const me = await client.me();
    if (values.json) return printJson(io, me);
    const who = me.email ?? me.name ?? me.id;
    const teams = me.teams.map((team) => `${team.name ?? team.id} (${team.role})`);
    io.out(
      [
        `${me.kind} ${me.id}${who === me.id ? "" : ` (${who})`}`,
        `roles:       ${me.roles.length > 0 ? me.roles.join(", ") : "none"}`,
        `teams:       ${teams.length > 0 ? teams.join(", ") : "none"}`,
        `permissions: ${me.permissions.length > 0 ? me.permissions.join(", ") : "none"}`,
        "",
      ].join("\n"),
    );
  },
};
