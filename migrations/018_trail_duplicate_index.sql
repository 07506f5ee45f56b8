-- The trail kept two indexes led by identificativo_transazione: the unique (identificativo_transazione,
-- ricevuta_il) that 004 made to refuse a repeated transaction id, and tracce_transazione on the id alone.
-- Every lookup by transaction id (the search's filter, the call detail) is served by the unique one, which
-- any traccia must enter anyway; the second was a random-UUID btree written once more per call for nothing.
-- The search's plans test still names the index each filter uses.
drop index tracce_transazione;
