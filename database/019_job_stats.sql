-- migrate:no-transaction
-- 019: statistics for GET /api/jobs/stats without reading the whole history. Finished executions are rolled up per
-- closed hour and per UTC day, off the execution path, by one node at a time: counts and the exact longest duration
-- per status, a histogram of durations in fixed log-spaced buckets, and failures grouped by
-- scheduler_failure_reason(error). job_stats_rollup.rolled_until says which hours are rolled (all before it); the
-- rollup statement moves it in the same statement that writes the rows, so running it again never counts twice.
-- Hours from rolled_until on are read live from scheduled_jobs through idx_scheduled_jobs_finished_completed_at (004).
-- Rolled rows stay when retention archives or deletes the executions they count.
-- Statements run one at a time, so that the index on scheduled_jobs is built without blocking writes. The first rollup
-- also counts executions archived before this release, through the archive's completed_at index (020).

-- The duration of a finished run in whole milliseconds (never negative: nodes' clocks may disagree a little).
CREATE OR REPLACE FUNCTION scheduler_duration_ms(started_at timestamptz, completed_at timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN greatest(0, round(extract(epoch FROM completed_at - started_at) * 1000))::bigint;

-- Histogram bucket of a duration: 0 holds [0, 1) ms, bucket k >= 1 holds [2^((k-1)/4), 2^(k/4)) ms, 127 the rest.
CREATE OR REPLACE FUNCTION scheduler_duration_bucket(ms bigint) RETURNS smallint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN ms < 1 THEN 0 ELSE least(floor(4 * ln(ms::double precision) / ln(2::double precision))::int + 1, 127) END;

-- Finished runs per period, type and status; duration_max_ms over completed and failed runs that started.
CREATE TABLE IF NOT EXISTS job_stats_runs (
  grain           text        NOT NULL CHECK (grain IN ('hour', 'day')),
  period_start    timestamptz NOT NULL,
  job_type        text        NOT NULL,
  status          text        NOT NULL CHECK (status IN ('completed', 'failed', 'cancelled', 'skipped')),
  runs            bigint      NOT NULL,
  duration_max_ms bigint,
  CONSTRAINT job_stats_runs_pkey PRIMARY KEY (grain, period_start, job_type, status)
);

-- "Is this a type with history?" for a type no longer configured.
CREATE INDEX IF NOT EXISTS idx_job_stats_runs_job_type ON job_stats_runs (job_type);

-- Durations of completed and failed runs: how many fell in each scheduler_duration_bucket (only buckets with runs).
CREATE TABLE IF NOT EXISTS job_stats_durations (
  grain        text        NOT NULL CHECK (grain IN ('hour', 'day')),
  period_start timestamptz NOT NULL,
  job_type     text        NOT NULL,
  bucket       smallint    NOT NULL,
  runs         bigint      NOT NULL,
  CONSTRAINT job_stats_durations_pkey PRIMARY KEY (grain, period_start, job_type, bucket)
);

-- Failed runs per period, type and scheduler_failure_reason(error), with one of them (the last) as the example.
CREATE TABLE IF NOT EXISTS job_stats_failure_reasons (
  grain        text        NOT NULL CHECK (grain IN ('hour', 'day')),
  period_start timestamptz NOT NULL,
  job_type     text        NOT NULL,
  reason       text        NOT NULL,
  runs         bigint      NOT NULL,
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  example_id   uuid        NOT NULL,
  CONSTRAINT job_stats_failure_reasons_pkey PRIMARY KEY (grain, period_start, job_type, reason)
);

-- One row: every hour before rolled_until is rolled up (NULL: nothing yet).
CREATE TABLE IF NOT EXISTS job_stats_rollup (
  id           integer     PRIMARY KEY CHECK (id = 1),
  rolled_until timestamptz
);

INSERT INTO job_stats_rollup (id, rolled_until) VALUES (1, NULL) ON CONFLICT (id) DO NOTHING;

-- GET /api/jobs?status=failed&type=…&reason=… (the statistics' link to a reason's runs) and its exact total: one index
-- range, newest first. Only failed rows are in it, so only a failed outcome computes the reason.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_scheduled_jobs_failure_reason
  ON scheduled_jobs (job_type, scheduler_failure_reason(error), created_at DESC, id DESC)
  WHERE status = 'failed';
