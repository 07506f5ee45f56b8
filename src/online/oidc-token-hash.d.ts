// oidc-token-hash (panva's, CommonJS) ships no types: the one function used here.
declare module 'oidc-token-hash' {
  /** the `at_hash` (or `c_hash`, `s_hash`) of a token for an ID token signed with `alg` */
  export function generate(token: string, alg: string, crv?: string): string
  const tokenHash: { generate: typeof generate }
  export default tokenHash
}
