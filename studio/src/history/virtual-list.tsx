import type { ComponentChild } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { nearEnd, windowRange } from "./window-range.ts";

/**
 * A scrolling list of fixed-height rows that puts only the rows in view (and a few either side) in
 * the DOM, so a history of 10,000 runs scrolls as lightly as one of 20; `onNearEnd` asks for more as
 * the person nears the end of what is loaded. The list is focusable, so it scrolls from the keyboard.
 */
export function VirtualList<T>(props: {
  items: readonly T[];
  /** Each row's height, in CSS pixels (the CSS must agree). */
  rowPx: number;
  label: string;
  keyOf: (item: T) => string;
  render: (item: T, index: number) => ComponentChild;
  onNearEnd: () => void;
}) {
  const { items, rowPx, onNearEnd } = props;
  const viewport = useRef<HTMLElement>(null);
  const [scrollTopPx, setScrollTopPx] = useState(0);
  const [viewportPx, setViewportPx] = useState(600);

  useLayoutEffect(() => {
    const element = viewport.current;
    if (element === null) return;
    setViewportPx(element.clientHeight);
    const observer = new ResizeObserver(() => setViewportPx(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const range = windowRange({ scrollTopPx, viewportPx, rowPx, count: items.length });
  const wantsMore = nearEnd(range, items.length);
  useEffect(() => {
    if (wantsMore) onNearEnd();
  }, [wantsMore, onNearEnd]);

  return (
    <section
      ref={viewport}
      class="virtual-list"
      aria-label={props.label}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable to scroll from the keyboard (WCAG 2.1.1)
      tabIndex={0}
      onScroll={(event) => setScrollTopPx(event.currentTarget.scrollTop)}
    >
      <ul style={{ height: `${items.length * rowPx}px` }}>
        {items.slice(range.start, range.end).map((item, offset) => {
          const index = range.start + offset;
          return (
            <li
              key={props.keyOf(item)}
              style={{ top: `${index * rowPx}px`, height: `${rowPx}px` }}
              aria-setsize={items.length}
              aria-posinset={index + 1}
            >
              {props.render(item, index)}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
