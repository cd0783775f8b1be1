import "./admin.css";
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { hrefOf } from "../shell/route.ts";
import type { StudioContext } from "../shell/studio-context.ts";
import type { SectionProps } from "./section-props.ts";
import { ADMIN_SECTIONS, sectionsFor } from "./sections.ts";

type Sections = Readonly<Record<string, ComponentType<SectionProps>>>;

/**
 * The Admin page, `#/admin/<section>`: the sections this person's roles open, each on their session
 * (the edge checks every call again). The sections load on first visit, keeping the Studio's first
 * load small.
 */
export function AdminPage(props: { studio: StudioContext }) {
  const { studio } = props;
  const sections = sectionsFor(studio.principal);
  const [components, setComponents] = useState<Sections | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    import("./admin-sections.tsx").then(
      (module) => setComponents(module.ADMIN_SECTION_COMPONENTS),
      (error: unknown) => setFailed(String(error)),
    );
  }, []);

  const asked = studio.route.rest[0];
  const section = sections.find((candidate) => candidate.id === asked) ?? sections[0];
  const refused = asked !== undefined && asked !== section?.id;
  const Section = section === undefined ? undefined : components?.[section.id];
  return (
    <div class="admin">
      <h2 class="admin-title">Admin</h2>
      <nav aria-label="Admin sections">
        <ul>
          {sections.map((candidate) => (
            <li key={candidate.id}>
              <a
                href={hrefOf("admin", [candidate.id])}
                aria-current={candidate.id === section?.id ? "page" : undefined}
              >
                {candidate.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {refused ? (
        <p role="alert">
          {ADMIN_SECTIONS.some((candidate) => candidate.id === asked)
            ? `Your roles do not open the ${asked} section; showing ${section?.title ?? "nothing"} instead.`
            : `There is no admin section '${asked}'.`}
        </p>
      ) : null}
      {failed === null ? null : <p role="alert">The admin pages could not load: {failed}</p>}
      {section !== undefined && Section === undefined && failed === null ? (
        <p aria-busy="true">Loading…</p>
      ) : null}
      {Section === undefined || section === undefined ? null : (
        <section aria-labelledby="admin-section-title" key={section.id}>
          <h3 id="admin-section-title">{section.title}</h3>
          <Section
            studio={studio}
            params={refused ? [] : studio.route.rest.slice(1)}
            query={studio.route.query}
          />
        </section>
      )}
    </div>
  );
}
