-- 011: lost runs whose re-run has not started yet, found per job type: a manual trigger of the type
-- waits behind them (409) so that the recovery, which Quartz retries every two seconds, gets the type's
-- one active slot first.
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_lost_runs
  ON scheduled_jobs (job_type, completed_at DESC)
  WHERE status IN ('failed', 'cancelled') AND (result->'details'->>'failure') IN ('runner_lost', 'shutdown');
