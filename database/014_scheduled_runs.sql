-- migrate:no-transaction
-- 014: runs for later. A delayed or one-off run (POST /api/jobs/trigger or /retry with runAt or delay) is recorded
-- at once as 'scheduled', with scheduled_for = when it is due, and its one-shot Quartz trigger at that time. It
-- does not hold its type's one active slot (ux_scheduled_jobs_one_active_per_type still covers only pending and
-- running); when it comes due it becomes 'pending', then 'running' on whichever node fires it.
--
-- Statements run one at a time: the status check is replaced atomically (one DO block) and added NOT VALID, then
-- validated under a lock that lets writes go on; the due-run index is built concurrently.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint
                  WHERE conrelid = 'scheduled_jobs'::regclass AND conname = 'scheduled_jobs_status_check'
                    AND pg_get_constraintdef(oid) LIKE '%scheduled%') THEN
    ALTER TABLE scheduled_jobs DROP CONSTRAINT IF EXISTS scheduled_jobs_status_check;
    ALTER TABLE scheduled_jobs ADD CONSTRAINT scheduled_jobs_status_check
      CHECK (status IN ('scheduled', 'pending', 'running', 'completed', 'failed', 'cancelled', 'skipped')) NOT VALID;
  END IF;
END $$;

ALTER TABLE scheduled_jobs VALIDATE CONSTRAINT scheduled_jobs_status_check;

-- A scheduled run is recorded ('created', as a pending one is) and comes due ('due': scheduled -> pending).
CREATE OR REPLACE FUNCTION scheduled_jobs_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    kind := CASE WHEN NEW.status = 'running' THEN 'started'
                 WHEN NEW.status IN ('pending', 'scheduled') THEN 'created'
                 ELSE 'finished' END;
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    kind := CASE WHEN NEW.status = 'running' THEN 'started'
                 WHEN NEW.status = 'pending' AND OLD.status = 'scheduled' THEN 'due'
                 WHEN NEW.status IN ('pending', 'scheduled') THEN 'created'
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

-- The supervisor's sweep of scheduled runs past due whose trigger is missing, and the dashboard's next-due view.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_jobs_scheduled_due
  ON scheduled_jobs (scheduled_for)
  WHERE status = 'scheduled';
