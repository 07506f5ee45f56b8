-- Failure windows counted by the minute: a JSON object of minute buckets, {"<epoch minute>": count}, at most one
-- entry per minute of the window. A failure counts while its minute started inside the window (so a window of W
-- minutes counts, to the minute, the failures of the last W minutes). Used by invciv_commit_batch.

-- the failures of a window whose minute started after istante - finestra, plus one at istante
create or replace function finestra_aggiungi(f jsonb, istante timestamptz, finestra interval) returns jsonb language sql immutable as $$
  select coalesce((select jsonb_object_agg(key, value) from jsonb_each(f) where to_timestamp(key::bigint * 60) > istante - finestra), '{}'::jsonb)
         || jsonb_build_object(m, coalesce((f ->> m)::integer, 0) + 1)
    from (select floor(extract(epoch from istante) / 60)::bigint::text as m) minute
$$;

-- how many failures a window holds
create or replace function finestra_somma(f jsonb) returns integer language sql immutable as $$
  select coalesce(sum(value::integer), 0)::integer from jsonb_each_text(f)
$$;
