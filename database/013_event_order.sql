-- 013: live updates and replays that no late commit can skip.
--
-- scheduler_events.id comes from a sequence, so ids are taken in one order and committed in another: while the
-- transaction holding id 10 is still open, id 11 may already be visible, and a reader that moved past 11 would
-- never see 10. Each event now records the transaction that wrote it (tx, its 64-bit id). Readers go in (tx, id)
-- order and only up to pg_snapshot_xmin(pg_current_snapshot()): every transaction below that has ended, and
-- every transaction still to write an event gets a larger id, so nothing can appear behind a position once a
-- reader has passed it.

ALTER TABLE scheduler_events
  ADD COLUMN IF NOT EXISTS tx bigint NOT NULL DEFAULT (pg_current_xact_id()::text)::bigint;

CREATE INDEX IF NOT EXISTS idx_scheduler_events_tx_id ON scheduler_events (tx, id);
