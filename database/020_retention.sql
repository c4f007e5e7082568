-- migrate:no-transaction
-- 020: retention that ends. cleanup_old_data deletes, in bounded batches, what is past its window: the archive
-- (by completed_at; failed runs kept longer), execution_logs, audit_log, scheduler_events, digest_deliveries and
-- finished notification_deliveries. The archive keeps progress like scheduled_jobs (010).
--
-- Indexes for the deletes: the archive is written only by cleanup_old_data's batches, so a b-tree on completed_at
-- costs little. execution_logs, digest_deliveries and notification_deliveries are appended in time order on the run
-- path, so they get BRIN indexes on their time column: a few pages each, barely touched by an insert, enough to find
-- the oldest block ranges. audit_log (at) and scheduler_events (at) already have b-trees that serve.

ALTER TABLE scheduled_jobs_archive ADD COLUMN IF NOT EXISTS progress jsonb;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_jobs_archive_completed_at
  ON scheduled_jobs_archive (completed_at);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_execution_logs_at_brin
  ON execution_logs USING brin (at);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_digest_deliveries_sent_at_brin
  ON digest_deliveries USING brin (sent_at);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notification_deliveries_created_at_brin
  ON notification_deliveries USING brin (created_at);
