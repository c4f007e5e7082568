-- 007: what GET /api/jobs/status reads on every call.
--   * each type's most recent successful runs (typical duration): one short index range per type;
--   (The executions running now use idx_scheduled_jobs_running_heartbeat from 005.)

CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_completed_recent
  ON scheduled_jobs (job_type, completed_at DESC)
  WHERE status = 'completed';
