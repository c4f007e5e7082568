-- 002: scheduled_jobs, one row per execution, cron-fired or manual.
--
-- Keeps the columns and the four indexes of the service this one replaces, so existing
-- dashboards and runbook queries keep working, and adds what the cluster needs to tell the
-- truth about every run: how it was triggered, which occurrence it was, which node ran it.

CREATE TABLE IF NOT EXISTS scheduled_jobs (
  id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  job_type            text        NOT NULL,
  status              text        NOT NULL DEFAULT 'pending',
  started_at          timestamptz,
  completed_at        timestamptz,
  started_by          text,
  error               text,
  result              jsonb,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  -- manual: POST /api/jobs/trigger; cron: a schedule fired; retry: a new attempt of a failed run.
  trigger             text        NOT NULL DEFAULT 'manual',
  -- The fire time a cron run was scheduled for (not when it started).
  scheduled_for       timestamptz,
  -- The Quartz instance id (JOB_RUNNER_ID, else POD_NAME, else host-pid) of the node that ran it.
  runner_id           text,
  attempt             integer     NOT NULL DEFAULT 1,
  retry_of            uuid,
  parameters          jsonb,
  idempotency_key     text,
  heartbeat_at        timestamptz,
  cancel_requested_at timestamptz,
  CONSTRAINT scheduled_jobs_status_check
    CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled', 'skipped')),
  CONSTRAINT scheduled_jobs_trigger_check
    CHECK (trigger IN ('manual', 'cron', 'retry', 'recovery', 'backfill')),
  CONSTRAINT scheduled_jobs_attempt_check CHECK (attempt >= 1),
  CONSTRAINT scheduled_jobs_cron_has_occurrence
    CHECK (trigger <> 'cron' OR scheduled_for IS NOT NULL)
);

-- The four indexes the previous generation of the service had.
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_status     ON scheduled_jobs (status);
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_job_type   ON scheduled_jobs (job_type);
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_started_by ON scheduled_jobs (started_by);
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_created_at ON scheduled_jobs (created_at DESC);

-- A cron occurrence is recorded at most once, whichever node fires it and however often.
-- The recording middleware claims the occurrence with INSERT ... ON CONFLICT DO NOTHING
-- against this index and does not run the job when the claim fails.
CREATE UNIQUE INDEX IF NOT EXISTS ux_scheduled_jobs_cron_occurrence
  ON scheduled_jobs (job_type, scheduled_for)
  WHERE trigger = 'cron';

CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_retry_of
  ON scheduled_jobs (retry_of)
  WHERE retry_of IS NOT NULL;
