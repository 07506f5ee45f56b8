-- The daily feed: an annulled verbale stays in the archive, marked, and no longer matches.
alter table verbali add column annullato boolean not null default false;
