-- The informativa on the use of INPS's access tools (issue 35): accepted before a person's first consultation, and
-- again whenever its text changes. Who accepted which version, when; appended, never changed.
create table informativa_accettazioni (
  codice_fiscale  text not null check (codice_fiscale ~ '^[A-Z0-9]{16}$'),
  versione        text not null check (versione ~ '^[0-9a-f]{12}$'),
  accettata_il    timestamptz not null,
  primary key (codice_fiscale, versione)
);
