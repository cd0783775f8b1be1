/**
 * The few numpy routines diffusers' `set_timesteps` uses, in float64 with numpy's exact arithmetic,
 * so spaced timesteps agree with diffusers to the bit.
 */

/** `np.linspace(start, stop, num, endpoint)` (numpy/_core/function_base.py): `i * step + start`. */
export function npLinspace(start: number, stop: number, num: number, endpoint = true): number[] {
  const div = endpoint ? num - 1 : num;
  const delta = stop - start;
  const step = delta / div;
  const values = Array.from({ length: num }, (_, i) =>
    div > 0 && step !== 0 ? i * step + start : (i / div) * delta + start,
  );
  if (endpoint && num > 1) values[num - 1] = stop;
  if (num === 1) values[0] = start;
  return values;
}

/**
 * `np.arange(start, stop, step)` for floats: numpy sets the first two values and fills the rest as
 * `start + i * delta` with `delta = (start + step) - start` (DOUBLE_fill in arraytypes.c.src).
 */
export function npArange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length === 0) return [];
  const second = start + step;
  const delta = second - start;
  return Array.from({ length }, (_, i) => (i === 0 ? start : i === 1 ? second : start + i * delta));
}

/** `np.round` / `np.rint`: to nearest, ties to even. */
export function npRint(x: number): number {
  const rounded = Math.round(x);
  return rounded - x === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** `np.searchsorted(ascending, value)` (side "left"): how many entries are below `value`. */
export function searchSortedLeft(ascending: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = ascending.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((ascending[mid] as number) < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
