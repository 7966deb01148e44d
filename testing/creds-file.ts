/** A `.creds` file in the layout nsc writes: the user JWT, then the user's nkey seed (for tests of the parsing). */
export function credsFile(jwt: string, userSeed: string): string {
  return [
    '-----BEGIN NATS USER JWT-----',
    jwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    '',
    '-----BEGIN USER NKEY SEED-----',
    userSeed,
    '------END USER NKEY SEED------',
    '',
  ].join('\n');
}
