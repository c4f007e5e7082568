-- migrate:no-transaction
-- 012: run ownership as a lease with a fencing token. Every claim of a run takes a new token from one
-- sequence and a lease that its node renews; every later write of the run (heartbeat, progress, logs,
-- outcome) names the token and changes nothing once another claim has replaced it. Another node takes a
-- run over only once its lease has expired, so a node that is slow but alive keeps its runs.
-- Each statement is idempotent and runs on its own (lock timeout and retries per statement); the new
-- columns are nullable with no default, so adding them rewrites nothing.

CREATE SEQUENCE IF NOT EXISTS scheduled_jobs_lease_seq;

ALTER TABLE scheduled_jobs ADD COLUMN IF NOT EXISTS lease_token bigint;

ALTER TABLE scheduled_jobs ADD COLUMN IF NOT EXISTS lease_expires_at timestamptz;

-- The lease sweep: running rows by lease end (rows claimed before this migration have none and are
-- judged by their heartbeat). Built concurrently: scheduled_jobs is the big table.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_jobs_running_lease
  ON scheduled_jobs (lease_expires_at)
  WHERE status = 'running';
