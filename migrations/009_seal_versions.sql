-- What a seal covers of each traccia is versioned (src/audit/seal-formats.ts): adding a column to the trail adds a
-- seal version instead of changing what existing seals cover. Seals made before this are version 1.
alter table sigilli add column versione smallint not null default 1 check (versione >= 1);
