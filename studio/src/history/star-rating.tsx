/**
 * A 1–5 star rating as a group of radio buttons: arrow keys move between stars, each star is named
 * for screen readers ("3 stars"), and "No rating" clears it.
 */
export function StarRating(props: {
  name: string;
  value: number | null;
  onChange: (value: number | null) => void;
}) {
  const choices: Array<{ value: number | null; label: string; face: string }> = [
    { value: null, label: "No rating", face: "–" },
    ...[1, 2, 3, 4, 5].map((stars) => ({
      value: stars,
      label: stars === 1 ? "1 star" : `${stars} stars`,
      face: "★",
    })),
  ];
  return (
    <fieldset class="stars">
      <legend>Rating</legend>
      {choices.map((choice) => (
        <label
          key={choice.label}
          class={props.value !== null && choice.value !== null && choice.value <= props.value ? "lit" : ""}
        >
          <input
            type="radio"
            name={props.name}
            checked={props.value === choice.value}
            onChange={() => props.onChange(choice.value)}
            aria-label={choice.label}
          />
          <span aria-hidden="true">{choice.face}</span>
        </label>
      ))}
    </fieldset>
  );
}
