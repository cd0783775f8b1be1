import "./nav.css";
import type { StudioPage } from "./pages.tsx";
import { hrefOf } from "./route.ts";

/** The Studio's navigation: the pages this person may open, the current one marked for screen readers too. */
export function Nav(props: { pages: readonly StudioPage[]; current: string }) {
  return (
    <nav aria-label="Studio">
      <ul>
        {props.pages.map((page) => (
          <li key={page.id}>
            <a href={hrefOf(page.id)} aria-current={page.id === props.current ? "page" : undefined}>
              {page.title}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
