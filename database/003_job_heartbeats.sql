-- 003: job_heartbeats, as the runbooks query it:
--   SELECT name, runner_id, last_heartbeat FROM job_heartbeats ORDER BY last_heartbeat DESC LIMIT 5;
--
-- Two kinds of row share the table. Each node keeps a 'jobs-runner' row of its own (one per
-- runner_id), and each job type keeps one row that whichever node ran it last updates.

CREATE TABLE IF NOT EXISTS job_heartbeats (
  id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                 text        NOT NULL,
  runner_id            text        NOT NULL,
  last_heartbeat       timestamptz NOT NULL DEFAULT now(),
  last_success_at      timestamptz,
  consecutive_failures integer     NOT NULL DEFAULT 0,
  last_error           text,
  last_error_at        timestamptz
);

CREATE UNIQUE INDEX IF NOT EXISTS ux_job_heartbeats_runner
  ON job_heartbeats (name, runner_id)
  WHERE name = 'jobs-runner';

CREATE UNIQUE INDEX IF NOT EXISTS ux_job_heartbeats_job
  ON job_heartbeats (name)
  WHERE name <> 'jobs-runner';

CREATE INDEX IF NOT EXISTS idx_job_heartbeats_last_heartbeat
  ON job_heartbeats (last_heartbeat DESC);
