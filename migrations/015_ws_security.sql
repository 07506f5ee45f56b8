-- ModI on the SOAP channel (issue 18): a convenzione's WS-Security profile, over the mutual TLS that stays the
-- channel. ID_AUTH_SOAP_02: signed Timestamp, wsa:To and a new wsa:MessageID; INTEGRITY_SOAP_01: the Body too.
alter table convenzioni
  add column sicurezza_soap text not null default 'no' check (sicurezza_soap in ('no', 'ID_AUTH_SOAP_02', 'INTEGRITY_SOAP_01'));

-- auditors find a SOAP call by its wsa:MessageID
create index tracce_message_id on tracce ((protocollo ->> 'messageId'), ricevuta_il, id) where protocollo ? 'messageId';
