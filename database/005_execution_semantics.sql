-- 005: what the cluster needs to keep executions exact: one active run per job type, idempotent
-- triggers, cancellation that reaches the node running the job, attempts linked to their first
-- run, and a heartbeat per running row so a dead node's rows can be found without it.

ALTER TABLE scheduled_jobs
  -- The first attempt of this logical run (null on the first attempt itself). Idempotency keys
  -- sent downstream derive from it, so a retry or a recovery does nothing twice.
  ADD COLUMN IF NOT EXISTS root_id          uuid,
  -- Quartz's fire instance id while running: what POST /api/jobs/{id}/cancel interrupts.
  ADD COLUMN IF NOT EXISTS fire_instance_id text,
  ADD COLUMN IF NOT EXISTS cancelled_by     text,
  -- SHA-256 of the trigger request a client's Idempotency-Key was first used with.
  ADD COLUMN IF NOT EXISTS request_hash     text;

ALTER TABLE scheduled_jobs_archive
  ADD COLUMN IF NOT EXISTS root_id          uuid,
  ADD COLUMN IF NOT EXISTS fire_instance_id text,
  ADD COLUMN IF NOT EXISTS cancelled_by     text,
  ADD COLUMN IF NOT EXISTS request_hash     text;

-- At most one pending or running execution per job type, across the cluster. A manual trigger
-- that loses this race is answered 409 naming the winner; a cron firing that loses is recorded
-- as skipped.
CREATE UNIQUE INDEX IF NOT EXISTS ux_scheduled_jobs_one_active_per_type
  ON scheduled_jobs (job_type)
  WHERE status IN ('pending', 'running');

-- An Idempotency-Key names one execution for as long as the row lives (at least the 90-day
-- history window, well over the promised 24 hours).
CREATE UNIQUE INDEX IF NOT EXISTS ux_scheduled_jobs_idempotency_key
  ON scheduled_jobs (idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- A run lost with its node is re-run at most once.
CREATE UNIQUE INDEX IF NOT EXISTS ux_scheduled_jobs_one_recovery
  ON scheduled_jobs (retry_of)
  WHERE trigger = 'recovery';

-- The orphan sweep: running rows whose heartbeat stopped.
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_running_heartbeat
  ON scheduled_jobs (heartbeat_at)
  WHERE status = 'running';

-- The stranded-pending sweep.
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_pending_created_at
  ON scheduled_jobs (created_at)
  WHERE status = 'pending';
