-- migrate:no-transaction
-- 015: named schedules. A job type keeps its configured schedule (named 'default', still held by
-- schedule_overrides and the 'cron' trigger group) and may have any number of schedules created through
-- the API, each a row here and one Quartz trigger of its own. A run records the schedule that produced it
-- and the jitter drawn for it. An occurrence of the default schedule is still a 'cron' run, claimed against
-- 002's (job_type, scheduled_for) index as the previous release claims it, so both releases can fire cron
-- occurrences side by side during a rolling deploy; an occurrence of a named schedule is a 'schedule' run,
-- recorded at most once per (type, schedule, fire time) by an index of its own.
-- Each statement is idempotent and runs on its own: the new scheduled_jobs columns are nullable with no
-- default (nothing rewritten), checks are added NOT VALID and then validated under a lock that lets writes
-- go on, and the new indexes are built concurrently.

CREATE TABLE IF NOT EXISTS job_schedules (
  job_type        text        NOT NULL,
  name            text        NOT NULL,
  kind            text        NOT NULL CHECK (kind IN ('cron', 'interval')),
  cron            text,
  interval_text   text,
  starts_at       timestamptz,
  ends_at         timestamptz,
  time_zone       text        NOT NULL,
  parameters      jsonb,
  jitter_ms       integer     NOT NULL DEFAULT 0 CHECK (jitter_ms >= 0),
  misfire_policy  text        NOT NULL CHECK (misfire_policy IN ('fire_once', 'skip', 'catch_up')),
  catch_up_limit  integer     CHECK (catch_up_limit IS NULL OR catch_up_limit >= 1),
  enabled         boolean     NOT NULL DEFAULT true,
  owner           text        NOT NULL DEFAULT 'api',
  description     text,
  created_by      text        NOT NULL,
  created_at      timestamptz NOT NULL,
  changed_by      text        NOT NULL,
  changed_at      timestamptz NOT NULL,
  PRIMARY KEY (job_type, name),
  CONSTRAINT job_schedules_kind_fields CHECK (
    (kind = 'cron' AND cron IS NOT NULL AND interval_text IS NULL)
    OR (kind = 'interval' AND interval_text IS NOT NULL AND cron IS NULL))
);

-- The schedule that produced a run ('default' for the configured one; null for manual runs and retries).
ALTER TABLE scheduled_jobs ADD COLUMN IF NOT EXISTS schedule text;

-- The random delay drawn for the occurrence, in milliseconds, when its schedule has jitter.
ALTER TABLE scheduled_jobs ADD COLUMN IF NOT EXISTS jitter_ms integer;

-- A run of a named schedule is a 'schedule' run (a check replaced in one statement, so a write never finds
-- none). The previous release neither writes nor claims it, and its cron claims keep their index.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                  WHERE conrelid = 'scheduled_jobs'::regclass AND conname = 'scheduled_jobs_trigger_check'
                    AND pg_get_constraintdef(oid) LIKE '%''schedule''%') THEN
    ALTER TABLE scheduled_jobs DROP CONSTRAINT IF EXISTS scheduled_jobs_trigger_check;
    ALTER TABLE scheduled_jobs ADD CONSTRAINT scheduled_jobs_trigger_check
      CHECK (trigger IN ('manual', 'cron', 'schedule', 'retry', 'recovery', 'backfill')) NOT VALID;
  END IF;
END $$;

ALTER TABLE scheduled_jobs VALIDATE CONSTRAINT scheduled_jobs_trigger_check;

-- The archive copied scheduled_jobs' checks (004): it takes 'schedule' runs, and keeps their schedule and jitter.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                  WHERE conrelid = 'scheduled_jobs_archive'::regclass AND conname = 'scheduled_jobs_trigger_check'
                    AND pg_get_constraintdef(oid) LIKE '%''schedule''%') THEN
    ALTER TABLE scheduled_jobs_archive DROP CONSTRAINT IF EXISTS scheduled_jobs_trigger_check;
    ALTER TABLE scheduled_jobs_archive ADD CONSTRAINT scheduled_jobs_trigger_check
      CHECK (trigger IN ('manual', 'cron', 'schedule', 'retry', 'recovery', 'backfill')) NOT VALID;
  END IF;
END $$;

ALTER TABLE scheduled_jobs_archive VALIDATE CONSTRAINT scheduled_jobs_trigger_check;

ALTER TABLE scheduled_jobs_archive ADD COLUMN IF NOT EXISTS schedule text;

ALTER TABLE scheduled_jobs_archive ADD COLUMN IF NOT EXISTS jitter_ms integer;

-- A 'schedule' run names its schedule and occurrence, as a 'cron' run names its occurrence (002).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                  WHERE conrelid = 'scheduled_jobs'::regclass AND conname = 'scheduled_jobs_schedule_has_occurrence') THEN
    ALTER TABLE scheduled_jobs ADD CONSTRAINT scheduled_jobs_schedule_has_occurrence
      CHECK (trigger <> 'schedule' OR (schedule IS NOT NULL AND scheduled_for IS NOT NULL)) NOT VALID;
  END IF;
END $$;

ALTER TABLE scheduled_jobs VALIDATE CONSTRAINT scheduled_jobs_schedule_has_occurrence;

-- One row per occurrence of each named schedule, whichever node fires it and however often.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ux_scheduled_jobs_schedule_occurrence
  ON scheduled_jobs (job_type, schedule, scheduled_for)
  WHERE trigger = 'schedule';

-- GET /api/jobs?schedule=
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_jobs_schedule
  ON scheduled_jobs (job_type, schedule, created_at DESC)
  WHERE schedule IS NOT NULL;

-- Which schedule a schedule event is about (null: the type's default schedule).
ALTER TABLE scheduler_events ADD COLUMN IF NOT EXISTS schedule text;
