-- 010: live updates across the cluster, per-run logs, and progress.
--
-- scheduler_events: what the dashboard's live view (GET /api/jobs/events) streams. Every change of an
-- execution's status or progress is appended by a trigger, whatever node or path made it; schedule
-- changes are appended by the service. Each insert NOTIFYs 'scheduler_events' with the event id at
-- commit, so every node's listener relays it to its own clients; a reconnecting client resumes from
-- its Last-Event-ID while the event is still kept (the service prunes after an hour).

ALTER TABLE scheduled_jobs ADD COLUMN IF NOT EXISTS progress jsonb;

CREATE TABLE IF NOT EXISTS scheduler_events (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  topic        text        NOT NULL CHECK (topic IN ('execution', 'schedule')),
  kind         text        NOT NULL,
  execution_id uuid,
  job_type     text        NOT NULL,
  status       text,
  progress     jsonb
);

CREATE INDEX IF NOT EXISTS idx_scheduler_events_at ON scheduler_events (at);

CREATE OR REPLACE FUNCTION scheduler_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('scheduler_events', NEW.id::text);
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS scheduler_events_notify ON scheduler_events;
CREATE TRIGGER scheduler_events_notify
  AFTER INSERT ON scheduler_events
  FOR EACH ROW EXECUTE FUNCTION scheduler_events_notify();

CREATE OR REPLACE FUNCTION scheduled_jobs_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    kind := CASE WHEN NEW.status = 'running' THEN 'started'
                 WHEN NEW.status IN ('pending') THEN 'created'
                 ELSE 'finished' END;
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    kind := CASE WHEN NEW.status = 'running' THEN 'started'
                 WHEN NEW.status = 'pending' THEN 'created'
                 ELSE 'finished' END;
  ELSIF NEW.progress IS DISTINCT FROM OLD.progress THEN
    kind := 'progressed';
  ELSE
    RETURN NULL;
  END IF;
  INSERT INTO scheduler_events (topic, kind, execution_id, job_type, status, progress)
  VALUES ('execution', kind, NEW.id, NEW.job_type, NEW.status, NEW.progress);
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS scheduled_jobs_event ON scheduled_jobs;
CREATE TRIGGER scheduled_jobs_event
  AFTER INSERT OR UPDATE OF status, progress ON scheduled_jobs
  FOR EACH ROW EXECUTE FUNCTION scheduled_jobs_event();

-- What a job logged while it ran, bounded per run by the service (lines and bytes).
CREATE TABLE IF NOT EXISTS execution_logs (
  execution_id uuid        NOT NULL,
  seq          integer     NOT NULL,
  at           timestamptz NOT NULL,
  level        text        NOT NULL,
  message      text        NOT NULL,
  PRIMARY KEY (execution_id, seq)
);
