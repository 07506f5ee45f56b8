// The development OpenID provider's people (src/dev/oidc-provider.ts), apart from it so that the demo data can
// name them without loading the provider (a development dependency).
export const FISCAL_NUMBER_CLAIM = 'https://attributes.eid.gov.it/fiscal_number'
export const SPID_LEVELS = ['https://www.spid.gov.it/SpidL1', 'https://www.spid.gov.it/SpidL2', 'https://www.spid.gov.it/SpidL3'] as const

/** The provider's people: an operatore of ente A, its amministratore utenze, one with no utenza, one of ente B. */
export const TEST_IDENTITIES = {
  'laura.bianchi': { codiceFiscale: 'BNCLRA85M41H501Z', given_name: 'Laura', family_name: 'Bianchi' },
  'giuseppe.verdi': { codiceFiscale: 'VRDGPP70A01F205V', given_name: 'Giuseppe', family_name: 'Verdi' },
  'francesco.neri': { codiceFiscale: 'NREFNC90D15L219X', given_name: 'Francesco', family_name: 'Neri' },
  'sara.galli': { codiceFiscale: 'GLLSRA75T50A662U', given_name: 'Sara', family_name: 'Galli' },
} as const
