-- 017: run-time listeners. notification_subscriptions: per job type, a signed webhook (on failure, on recovery
-- after failures, on every completion) or a heartbeat ping URL called on success; from configuration
-- (Jobs:<type>:Notifications:<name>) or created through the API. notification_deliveries: the outbox and the
-- delivery log in one table. A run's outcome statement inserts its deliveries (only when a subscription of its
-- type matches), so a committed outcome never loses its notification; a dispatcher on any node sends them.

CREATE TABLE IF NOT EXISTS notification_subscriptions (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  job_type      text        NOT NULL,
  name          text        NOT NULL,
  kind          text        NOT NULL CHECK (kind IN ('webhook', 'heartbeat')),
  url           text        NOT NULL,
  -- Webhooks: any of failure, recovery, completion. Heartbeats fire on success and keep this empty.
  events        text[]      NOT NULL DEFAULT '{}' CHECK (events <@ ARRAY['failure', 'recovery', 'completion']::text[]),
  -- The HMAC key webhooks are signed with. Written, never returned by the API.
  secret        text,
  enabled       boolean     NOT NULL DEFAULT true,
  description   text,
  -- 'configuration' rows are kept in step with Jobs:<type>:Notifications at start-up; the API changes only 'api' rows.
  source        text        NOT NULL CHECK (source IN ('configuration', 'api')),
  created_by    text        NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  CONSTRAINT notification_subscriptions_name_key UNIQUE (job_type, name)
);

-- What a run's outcome statement probes: the enabled subscriptions of its type (usually none).
CREATE INDEX IF NOT EXISTS idx_notification_subscriptions_type ON notification_subscriptions (job_type) WHERE enabled;

CREATE TABLE IF NOT EXISTS notification_deliveries (
  id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  subscription_id  uuid        NOT NULL REFERENCES notification_subscriptions (id) ON DELETE CASCADE,
  -- No foreign key: executions are archived after their retention window, deliveries keep their id.
  execution_id     uuid        NOT NULL,
  job_type         text        NOT NULL,
  event            text        NOT NULL CHECK (event IN ('failure', 'recovery', 'completion', 'success')),
  status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0,
  -- Due time while pending; while an attempt is in flight, the end of its claim (another node takes it after that).
  next_attempt_at  timestamptz,
  -- The exact bytes sent, fixed at the first attempt, so every retry carries the same body and signature.
  payload          text,
  last_status_code integer,
  last_error       text,
  last_attempt_at  timestamptz,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL,
  -- One delivery per subscription and execution, however often an outcome is retried.
  CONSTRAINT notification_deliveries_once UNIQUE (subscription_id, execution_id)
);

-- The dispatcher's read of what is due: only pending rows are in it, so an idle read costs an empty index probe.
CREATE INDEX IF NOT EXISTS idx_notification_deliveries_due ON notification_deliveries (next_attempt_at) WHERE status = 'pending';
-- A subscription's delivery log, newest first (also what a later retention sweep deletes by).
CREATE INDEX IF NOT EXISTS idx_notification_deliveries_subscription ON notification_deliveries (subscription_id, created_at DESC);

-- Subscription changes are audited with target type 'notification'. Target types are checked as lowercase words,
-- like actions, so that areas added by other migrations stay valid whichever order they were written in.
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_target_type_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_target_type_check CHECK (target_type ~ '^[a-z][a-z_]*$');
