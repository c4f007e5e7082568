-- 006: audit_log, one row per operator action (trigger, cancel, retry, pause, resume, schedule
-- change), whether it was accepted or not.
--
-- scheduled_jobs says what ran; it cannot say who asked for a run that was refused, who paused a
-- schedule, or from where. Operators answer "who did this, and when" from this table: a row is
-- written as soon as the action is decided (refusals included) and is never updated afterwards.

CREATE TABLE IF NOT EXISTS audit_log (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             timestamptz NOT NULL,
  -- A user id from the token, or 'scheduler' for what the service does by itself.
  actor          text        NOT NULL,
  -- <area>.<verb>, e.g. job.trigger or schedule.pause: filters and dashboards group on the prefix.
  action         text        NOT NULL,
  target_type    text        NOT NULL,
  -- An execution id (target_type 'execution') or a job type (target_type 'schedule'). Text, not
  -- uuid, because a refused trigger has no execution to point at.
  target_id      text,
  -- Kept beside target_id so an execution's rows are found by type without joining
  -- scheduled_jobs, whose rows are archived after 90 days while audit rows stay.
  job_type       text,
  remote_address text,
  -- accepted, rejected, conflict, ...: refusals are audited too.
  outcome        text        NOT NULL,
  details        jsonb,
  CONSTRAINT audit_log_action_check      CHECK (action ~ '^[a-z]+\.[a-z_]+$'),
  CONSTRAINT audit_log_target_type_check CHECK (target_type IN ('execution', 'schedule'))
);

-- GET /api/audit lists newest first and pages through the whole trail.
CREATE INDEX IF NOT EXISTS idx_audit_log_at        ON audit_log (at DESC, id DESC);
-- "What did this operator do?"
CREATE INDEX IF NOT EXISTS idx_audit_log_actor     ON audit_log (actor, at DESC);
-- "Who touched this execution or schedule?"
CREATE INDEX IF NOT EXISTS idx_audit_log_target_id ON audit_log (target_id);
-- Everything done to one job type, its runs and its schedule.
CREATE INDEX IF NOT EXISTS idx_audit_log_job_type  ON audit_log (job_type, at DESC);
