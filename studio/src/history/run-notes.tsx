import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import { MAX_RUN_NOTES_CHARS, type Run } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { tagsOf } from "./run-facts.ts";
import { StarRating } from "./star-rating.tsx";

/** What the team says of a run: notes, tags and a rating, saved to the run (`PATCH /v1/runs/{id}`). */
export function RunNotes(props: { client: Sdgate; run: Run; onSaved: (run: Run) => void }) {
  const { run } = props;
  const [notes, setNotes] = useState(run.notes);
  const [tags, setTags] = useState(run.tags.join(", "));
  const [rating, setRating] = useState(run.rating);
  const [said, setSaid] = useState<{ text: string; failed: boolean } | null>(null);

  const save = async (event: Event) => {
    event.preventDefault();
    try {
      const saved = await props.client.runs.annotate(run.id, { notes, tags: tagsOf(tags), rating });
      setTags(saved.tags.join(", "));
      setSaid({ text: "Saved.", failed: false });
      props.onSaved(saved);
    } catch (failure) {
      setSaid({ text: isSdgateApiError(failure) ? failure.message : String(failure), failed: true });
    }
  };

  return (
    <form class="run-notes" onSubmit={save}>
      <label>
        Notes
        <textarea
          rows={3}
          maxLength={MAX_RUN_NOTES_CHARS}
          value={notes}
          onInput={(event) => setNotes(event.currentTarget.value)}
        />
      </label>
      <label>
        Tags (comma-separated)
        <input value={tags} onInput={(event) => setTags(event.currentTarget.value)} />
      </label>
      <StarRating name={`rating-${run.id}`} value={rating} onChange={setRating} />
      <div class="row">
        <button type="submit" class="primary">
          Save notes
        </button>
        <span role="status">{said === null || said.failed ? "" : said.text}</span>
      </div>
      {said?.failed ? <p role="alert">{said.text}</p> : null}
    </form>
  );
}
