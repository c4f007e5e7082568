-- migrate:no-transaction
-- 015: named schedules. A job type keeps its configured schedule (named 'default', still held by
-- schedule_overrides and the 'cron' trigger group) and may have any number of schedules created through
-- the API, each a row here and one Quartz trigger of its own. A run records the schedule that produced it
-- and the jitter drawn for it; an occurrence is recorded at most once per (type, schedule, fire time).
-- Each statement is idempotent and runs on its own: the new scheduled_jobs columns are nullable with no
-- default (nothing rewritten) and the new index is built concurrently.

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

-- One row per occurrence of each schedule (rows written before this migration have no schedule: the default's).
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ux_scheduled_jobs_schedule_occurrence
  ON scheduled_jobs (job_type, (COALESCE(schedule, 'default')), scheduled_for)
  WHERE trigger = 'cron';

DROP INDEX CONCURRENTLY IF EXISTS ux_scheduled_jobs_cron_occurrence;

-- GET /api/jobs?schedule=
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_jobs_schedule
  ON scheduled_jobs (job_type, schedule, created_at DESC)
  WHERE schedule IS NOT NULL;

-- Which schedule a schedule event is about (null: the type's default schedule).
ALTER TABLE scheduler_events ADD COLUMN IF NOT EXISTS schedule text;
