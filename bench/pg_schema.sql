-- The PostgreSQL side of bench/pg_compare.py, for reading (generated from its
-- SCHEMA_SQL, INDEX_SQL, SUPPORTED_SQL and WINDOW_SQL; the script is the source).
-- Load with: \copy events (seq, event_id, stream, kind, recorded_at, actor, data) FROM 'events.tsv'
-- then VACUUM ANALYZE events; ask: EXECUTE supported_persons('2017-03-31', 1000);
-- ($1 = as_of D, $2 = at_seq P; answer: value, female, male)
CREATE TABLE events (
    seq         bigint PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    stream      text,
    kind        text NOT NULL,
    recorded_at timestamptz NOT NULL,
    actor       text,
    data        jsonb NOT NULL
);

-- every query filters by kind within a seq prefix
CREATE INDEX events_kind_seq ON events (kind, seq);
-- record time -> prefix (known_at = the recorded_at of seq P)
CREATE INDEX events_recorded_at ON events (recorded_at);
-- corrections and voids by their target
CREATE INDEX events_target ON events (((data->>'target_event_id')::uuid), seq)
    WHERE kind IN ('event_corrected', 'event_voided');
-- a participant's events (participant pages; stats for the joins)
CREATE INDEX events_participant ON events ((data->>'participant_id'), seq)
    WHERE data ? 'participant_id';
-- sessions by id and attendance by session (the attendance -> session join)
CREATE INDEX events_session ON events ((data->>'session_id'), seq)
    WHERE kind IN ('session_held', 'attendance_recorded');
CREATE INDEX events_stream ON events (stream, seq);

-- Supported persons as of $1, known at seq <= $2 (monotone form, the one timed).
PREPARE supported_persons(date, bigint) AS
WITH
dead AS (   -- targets voided within the prefix
    SELECT DISTINCT (data->>'target_event_id')::uuid AS id
    FROM events
    WHERE kind = 'event_voided' AND seq <= $2
),
fix AS (    -- the latest correction of each target within the prefix
    SELECT DISTINCT ON ((data->>'target_event_id')::uuid)
           (data->>'target_event_id')::uuid AS id,
           data->'replacement'->'data' AS data
    FROM events
    WHERE kind = 'event_corrected' AND seq <= $2
    ORDER BY (data->>'target_event_id')::uuid, seq DESC
),
eff AS NOT MATERIALIZED (
    SELECT e.seq, e.kind, coalesce(f.data, e.data) AS data
    FROM events e
    LEFT JOIN fix f ON f.id = e.event_id
    WHERE e.seq <= $2
      AND e.kind IN ('project_defined', 'session_held', 'participant_registered',
                     'attendance_recorded', 'internship_completed')
      AND NOT EXISTS (SELECT 1 FROM dead x WHERE x.id = e.event_id)
),
proj AS (
    SELECT (data->>'support_threshold_hours')::numeric AS threshold
    FROM eff WHERE kind = 'project_defined'
    ORDER BY seq DESC LIMIT 1
),
sess AS (   -- live sessions, the last of each id
    SELECT DISTINCT ON (data->>'session_id')
           data->>'session_id' AS session_id,
           (data->>'date')::date AS day,
           (data->>'hours')::numeric AS hours
    FROM eff WHERE kind = 'session_held'
    ORDER BY data->>'session_id', seq DESC
),
reg AS (    -- live registrations, the last of each participant
    SELECT DISTINCT ON (data->>'participant_id')
           data->>'participant_id' AS pid, data->>'gender' AS gender
    FROM eff WHERE kind = 'participant_registered'
    ORDER BY data->>'participant_id', seq DESC
),
items AS (  -- support hours with their valid dates (R1.4)
    SELECT a.data->>'participant_id' AS pid, s.day,
           least((a.data->>'hours')::numeric, s.hours) AS hours
    FROM eff a JOIN sess s ON s.session_id = a.data->>'session_id'
    WHERE a.kind = 'attendance_recorded'
      AND s.day <= $1
    UNION ALL
    SELECT data->>'participant_id', (data->>'end')::date, (data->>'hours')::numeric
    FROM eff WHERE kind = 'internship_completed'
      AND (data->>'end')::date <= $1
),
supported AS (
    SELECT i.pid
    FROM items i
    GROUP BY i.pid
    HAVING sum(i.hours) > (SELECT threshold FROM proj)
)
SELECT count(*) AS value,
       count(*) FILTER (WHERE r.gender = 'female') AS female,
       count(*) FILTER (WHERE r.gender = 'male') AS male
FROM supported s JOIN reg r ON r.pid = s.pid;

-- The literal form (daily sums, running total, first date over the threshold).
PREPARE supported_persons_window(date, bigint) AS
WITH
dead AS (   -- targets voided within the prefix
    SELECT DISTINCT (data->>'target_event_id')::uuid AS id
    FROM events
    WHERE kind = 'event_voided' AND seq <= $2
),
fix AS (    -- the latest correction of each target within the prefix
    SELECT DISTINCT ON ((data->>'target_event_id')::uuid)
           (data->>'target_event_id')::uuid AS id,
           data->'replacement'->'data' AS data
    FROM events
    WHERE kind = 'event_corrected' AND seq <= $2
    ORDER BY (data->>'target_event_id')::uuid, seq DESC
),
eff AS NOT MATERIALIZED (
    SELECT e.seq, e.kind, coalesce(f.data, e.data) AS data
    FROM events e
    LEFT JOIN fix f ON f.id = e.event_id
    WHERE e.seq <= $2
      AND e.kind IN ('project_defined', 'session_held', 'participant_registered',
                     'attendance_recorded', 'internship_completed')
      AND NOT EXISTS (SELECT 1 FROM dead x WHERE x.id = e.event_id)
),
proj AS (
    SELECT (data->>'support_threshold_hours')::numeric AS threshold
    FROM eff WHERE kind = 'project_defined'
    ORDER BY seq DESC LIMIT 1
),
sess AS (   -- live sessions, the last of each id
    SELECT DISTINCT ON (data->>'session_id')
           data->>'session_id' AS session_id,
           (data->>'date')::date AS day,
           (data->>'hours')::numeric AS hours
    FROM eff WHERE kind = 'session_held'
    ORDER BY data->>'session_id', seq DESC
),
reg AS (    -- live registrations, the last of each participant
    SELECT DISTINCT ON (data->>'participant_id')
           data->>'participant_id' AS pid, data->>'gender' AS gender
    FROM eff WHERE kind = 'participant_registered'
    ORDER BY data->>'participant_id', seq DESC
),
items AS (  -- support hours with their valid dates (R1.4)
    SELECT a.data->>'participant_id' AS pid, s.day,
           least((a.data->>'hours')::numeric, s.hours) AS hours
    FROM eff a JOIN sess s ON s.session_id = a.data->>'session_id'
    WHERE a.kind = 'attendance_recorded'
    UNION ALL
    SELECT data->>'participant_id', (data->>'end')::date, (data->>'hours')::numeric
    FROM eff WHERE kind = 'internship_completed'
),
daily AS (
    SELECT pid, day, sum(hours) AS hours FROM items GROUP BY pid, day
),
running AS (
    SELECT pid, day, sum(hours) OVER (PARTITION BY pid ORDER BY day) AS total FROM daily
),
crossing AS (
    SELECT pid, min(day) AS day
    FROM running
    WHERE total > (SELECT threshold FROM proj)
    GROUP BY pid
)
SELECT count(*) AS value,
       count(*) FILTER (WHERE r.gender = 'female') AS female,
       count(*) FILTER (WHERE r.gender = 'male') AS male
FROM crossing c JOIN reg r ON r.pid = c.pid
WHERE c.day <= $1;
