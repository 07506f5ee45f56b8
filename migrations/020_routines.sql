-- Routines move to definition files (routines/*.sql), applied after the migrations by every `invciv migrate` when
-- one of them changed (src/db/migrate.ts), so a change to a routine is a diff of its file. invciv_commit_batch's
-- parameters are renamed after what they carry (the traccia's columns, the commit rules' names) and it answers
-- the refusal's text too: create or replace cannot change either, so the version of 013 goes here and
-- routines/invciv_commit_batch.sql makes the new one in this same transaction.
drop function invciv_commit_batch(uuid[], timestamptz[], text[], bigint[], text[], text[], inet[], text[], text[], text[], text[], text[], numeric[], jsonb[],
  date[], integer[], boolean[], integer[], integer[], text[], text[], integer[]);
