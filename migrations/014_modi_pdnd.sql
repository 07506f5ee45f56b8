-- ModI and PDND on the REST channel (issue 17). A convenzione's REST security profile, over the mutual TLS that
-- stays the channel: who called (the channel alone, ID_AUTH_REST_02 or a PDND voucher), AUDIT_REST_01/02, and
-- INTEGRITY_REST_01; the PDND purposes allowed and the ente's PDND tenant (a voucher's consumerId).
alter table convenzioni
  add column autenticazione_rest text not null default 'mtls' check (autenticazione_rest in ('mtls', 'ID_AUTH_REST_02', 'PDND')),
  add column audit_rest text not null default 'no' check (audit_rest in ('no', 'AUDIT_REST_01', 'AUDIT_REST_02')),
  add column integrita_rest text not null default 'no' check (integrita_rest in ('no', 'INTEGRITY_REST_01')),
  add column purpose_ids text[] not null default '{}',
  add column pdnd_consumer_id text check (pdnd_consumer_id ~ '^[A-Za-z0-9-]{1,64}$'),
  -- a voucher is the ente's only when its consumerId is the ente's tenant
  add constraint convenzioni_pdnd_consumer check (autenticazione_rest <> 'PDND' or pdnd_consumer_id is not null),
  -- AUDIT_REST_02 binds the audit token to the voucher's digest: there must be a voucher
  add constraint convenzioni_audit_02_pdnd check (audit_rest <> 'AUDIT_REST_02' or autenticazione_rest = 'PDND'),
  -- a voucher and an audit token name their purpose: one of the convenzione's
  add constraint convenzioni_purposes check ((audit_rest = 'no' and autenticazione_rest <> 'PDND') or cardinality(purpose_ids) > 0);

-- auditors find calls by a token's jti (the voucher's or ID_AUTH's, or the audit token's) and by purpose
create index tracce_jti on tracce ((protocollo ->> 'jti'), ricevuta_il, id) where protocollo ? 'jti';
create index tracce_audit_jti on tracce ((protocollo ->> 'auditJti'), ricevuta_il, id) where protocollo ? 'auditJti';
create index tracce_purpose on tracce ((protocollo ->> 'purposeId'), ricevuta_il, id) where protocollo ? 'purposeId';
