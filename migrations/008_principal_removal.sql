-- Withdrawing admin access without SQL: a removed principal keeps its row (who it was, when and by whom it
-- was removed) and is refused from its next request; a removed certificate never comes back.
alter table principali_admin
  add column rimosso_il timestamptz,
  add column rimosso_da text,
  add constraint principali_admin_rimozione check ((stato = 'revocato') = (rimosso_il is not null));
