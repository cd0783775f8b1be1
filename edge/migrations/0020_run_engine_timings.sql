-- Run history (issue 17): what made each run beside what was asked. `engine_version`: the engine the
-- fleet ran it on (the replay cache's engine, `sdgate-engine/3`); `timings_ms`: the engine's own
-- stage timings as the backend reported them (JSON: text_encode, denoise, decode, …, total). NULL for
-- runs from before, replays and failures.
ALTER TABLE runs ADD COLUMN engine_version TEXT;
ALTER TABLE runs ADD COLUMN timings_ms TEXT;
