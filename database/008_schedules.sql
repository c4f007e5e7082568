-- 008: schedules changed at run time, pauses with an expiry, and backfills.
-- Configuration stays the source of truth: a row in schedule_overrides is a deliberate, audited
-- departure from it that start-up keeps (and reports as drift) until it is deleted.

CREATE TABLE IF NOT EXISTS schedule_overrides (
  job_type   text        PRIMARY KEY,
  cron       text        NOT NULL,
  time_zone  text        NOT NULL,
  enabled    boolean     NOT NULL,
  changed_by text        NOT NULL,
  changed_at timestamptz NOT NULL
);

-- What Quartz does not keep about a pause: when it ends by itself. Reason, who and since are
-- Quartz's own (PauseTriggerWith); a row here without a paused trigger is ignored.
CREATE TABLE IF NOT EXISTS schedule_pauses (
  job_type     text        PRIMARY KEY,
  paused_until timestamptz NOT NULL
);

-- A backfill: the occurrences to run, one after another. Progress is not stored: an occurrence is
-- done once scheduled_jobs has a row for it, so any node can carry a backfill on after another dies.
CREATE TABLE IF NOT EXISTS schedule_backfills (
  id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  job_type     text        NOT NULL,
  occurrences  timestamptz[] NOT NULL,
  requested_by text        NOT NULL,
  requested_at timestamptz NOT NULL,
  finished_at  timestamptz
);

CREATE INDEX IF NOT EXISTS idx_schedule_backfills_open
  ON schedule_backfills (requested_at)
  WHERE finished_at IS NULL;

-- One backfill run per occurrence, as one cron run per occurrence.
CREATE UNIQUE INDEX IF NOT EXISTS ux_scheduled_jobs_backfill_occurrence
  ON scheduled_jobs (job_type, scheduled_for)
  WHERE trigger = 'backfill';

-- "Has this occurrence a row?" for backfill and missed-run detection, whatever the trigger.
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_occurrence
  ON scheduled_jobs (job_type, scheduled_for)
  WHERE scheduled_for IS NOT NULL;
