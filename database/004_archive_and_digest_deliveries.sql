-- 004: where cleanup_old_data moves old executions, and the record of who received which weekly digest.

-- Executions finished longer ago than the retention window (Jobs:cleanup_old_data:ExecutionRetentionDays)
-- leave scheduled_jobs for this table, in bounded batches, each batch one statement: a row is
-- either still in scheduled_jobs or already here, never in both and never in neither.
CREATE TABLE IF NOT EXISTS scheduled_jobs_archive (
  LIKE scheduled_jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  archived_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT scheduled_jobs_archive_pkey PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_archive_job_type_created_at
  ON scheduled_jobs_archive (job_type, created_at DESC);

-- Finds the next archive batch without scanning the live history.
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_finished_completed_at
  ON scheduled_jobs (completed_at)
  WHERE status IN ('completed', 'failed', 'cancelled', 'skipped');

-- One row per user per ISO week (e.g. 2026-W47) whose weekly digest the email service accepted.
-- weekly_digest skips users already here, so a retried, recovered or repeated run mails nobody twice;
-- the idempotency key sent with the message covers the gap between sending and writing this row.
CREATE TABLE IF NOT EXISTS digest_deliveries (
  digest_week     text        NOT NULL,
  user_id         text        NOT NULL,
  idempotency_key text        NOT NULL,
  execution_id    uuid        NOT NULL,
  sent_at         timestamptz NOT NULL,
  CONSTRAINT digest_deliveries_pkey PRIMARY KEY (digest_week, user_id)
);
