-- 009: exact totals for GET /api/jobs without count(*) over the whole history.
-- Every insert, status change and delete of a scheduled_jobs row appends a +1/-1 to
-- scheduled_jobs_count_deltas (append-only: writers never wait on one another's counter rows);
-- the service folds the deltas into scheduled_jobs_counts every few seconds. A total is the
-- folded count plus the deltas not folded yet, so it is exact at every moment.

CREATE TABLE IF NOT EXISTS scheduled_jobs_counts (
  job_type text   NOT NULL,
  status   text   NOT NULL,
  n        bigint NOT NULL,
  PRIMARY KEY (job_type, status)
);

CREATE TABLE IF NOT EXISTS scheduled_jobs_count_deltas (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_type text   NOT NULL,
  status   text   NOT NULL,
  delta    integer NOT NULL
);

CREATE OR REPLACE FUNCTION scheduled_jobs_count_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO scheduled_jobs_count_deltas (job_type, status, delta) VALUES (OLD.job_type, OLD.status, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO scheduled_jobs_count_deltas (job_type, status, delta) VALUES (NEW.job_type, NEW.status, 1);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION scheduled_jobs_count_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE scheduled_jobs_counts, scheduled_jobs_count_deltas;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS scheduled_jobs_count_rows ON scheduled_jobs;
CREATE TRIGGER scheduled_jobs_count_rows
  AFTER INSERT OR DELETE OR UPDATE OF status, job_type ON scheduled_jobs
  FOR EACH ROW
  EXECUTE FUNCTION scheduled_jobs_count_delta();

DROP TRIGGER IF EXISTS scheduled_jobs_count_truncate ON scheduled_jobs;
CREATE TRIGGER scheduled_jobs_count_truncate
  AFTER TRUNCATE ON scheduled_jobs
  FOR EACH STATEMENT
  EXECUTE FUNCTION scheduled_jobs_count_reset();

-- The counts of the history this migration finds.
INSERT INTO scheduled_jobs_counts (job_type, status, n)
SELECT job_type, status, count(*) FROM scheduled_jobs GROUP BY job_type, status
ON CONFLICT (job_type, status) DO UPDATE SET n = EXCLUDED.n;

-- Keyset pages, newest first, with and without the two most used filters.
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_created_id ON scheduled_jobs (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_type_created_id ON scheduled_jobs (job_type, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS idx_scheduled_jobs_status_created_id ON scheduled_jobs (status, created_at DESC, id DESC);
