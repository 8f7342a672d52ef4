-- Not presignd's: what pgbench cannot make itself, fetched with one small statement per upload
-- (bench/capacity.py measures its cost alone and takes it off): the owner (one of the owners), a
-- time-ordered document id as presignd makes them (UUIDv7: milliseconds first), the event's id,
-- the audit resource and object key built from them, the time, and an empty string.
\set n random(1, :owners)
\set size random(100, 4096)
SELECT 'u' || :n::text AS owner_id, g.id, g.event_id, 'document:' || g.id AS resource,
       'avatars/u' || :n::text || '/' || g.id || '.png' AS key, extract(epoch from now())::bigint AS now, '' AS none
FROM (SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'
              || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid::text AS id,
             gen_random_uuid()::text AS event_id) g \gset
