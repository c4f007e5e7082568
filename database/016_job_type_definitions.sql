-- 016: HTTP-call job types defined at run time (POST /api/job-types), kept across restarts and
-- loaded by every node into its catalog. A change NOTIFYs 'scheduler_job_types' at commit, so every
-- node re-reads the table within moments; a periodic re-read covers a notification lost with a
-- connection. Configuration's types never appear here: the API refuses their names.

CREATE TABLE IF NOT EXISTS job_type_definitions (
  name            text        PRIMARY KEY,
  service         text        NOT NULL,
  method          text        NOT NULL,
  path            text        NOT NULL,
  body            jsonb,
  items_field     text,
  timeout_seconds integer     NOT NULL CHECK (timeout_seconds > 0),
  retries         integer     NOT NULL CHECK (retries >= 0),
  recoverable     boolean     NOT NULL,
  description     text        NOT NULL,
  enabled         boolean     NOT NULL DEFAULT true,
  cron            text,
  time_zone       text        NOT NULL DEFAULT 'UTC',
  created_by      text        NOT NULL,
  created_at      timestamptz NOT NULL,
  changed_by      text        NOT NULL,
  changed_at      timestamptz NOT NULL,
  CONSTRAINT job_type_definitions_name_check CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
  CONSTRAINT job_type_definitions_path_check CHECK (path LIKE '/%')
);

-- Type definitions are audited as their own target, and their changes are live events of their own.
-- Both checks are re-created NOT VALID and then validated, so no write to either table waits on a scan.
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_target_type_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_target_type_check
  CHECK (target_type IN ('execution', 'schedule', 'job_type')) NOT VALID;
ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_target_type_check;

ALTER TABLE scheduler_events DROP CONSTRAINT IF EXISTS scheduler_events_topic_check;
ALTER TABLE scheduler_events ADD CONSTRAINT scheduler_events_topic_check
  CHECK (topic IN ('execution', 'schedule', 'job_type')) NOT VALID;
ALTER TABLE scheduler_events VALIDATE CONSTRAINT scheduler_events_topic_check;
