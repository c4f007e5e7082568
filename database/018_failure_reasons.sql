-- 018: failures grouped by reason. scheduler_failure_reason(error) is the normalised form of an execution's error
-- that GET /api/jobs/stats groups by, GET /api/jobs?reason= and POST /api/jobs/retry-failed filter by: URLs become
-- <url>, UUIDs and digit-bearing tokens of 8 or more word characters <id>, other numbers <n> (a number glued to the
-- letters before it, as in v1 or utf8, is kept), whitespace runs one space, cut to 200 characters; an empty or
-- missing error is "(no error message)". Defined once, here, so that every reader groups the same way.

CREATE OR REPLACE FUNCTION scheduler_failure_reason(error text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(nullif(left(btrim(
    regexp_replace(
      regexp_replace(
        regexp_replace(
          regexp_replace(
            regexp_replace(coalesce(error, ''), '[a-z][a-z0-9+.-]*://[^\s"''<>]+', '<url>', 'gi'),
            '[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}', '<id>', 'gi'),
          '\m(?=\w*\d)\w{8,}\M', '<id>', 'g'),
        '(?<![A-Za-z])\d+(\.\d+)*', '<n>', 'g'),
      '\s+', ' ', 'g')), 200), ''), '(no error message)');
