import { solveChallenge } from 'altcha-lib/v1';

/** What a voter's page does: fetch the challenge bound to this voter and election, solve it, encode the X-Altcha header. */
export async function solvedProof(base: string, electionId: string, token: string): Promise<string> {
  const response = await fetch(`${base}/v1/elections/${electionId}/challenge`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`challenge: ${response.status} ${await response.text()}`);
  const c = (await response.json()) as { algorithm: string; challenge: string; maxnumber: number; salt: string; signature: string };
  const solution = await solveChallenge(c.challenge, c.salt, c.algorithm, c.maxnumber).promise;
  if (solution === null) throw new Error('challenge without solution');
  return Buffer.from(
    JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: solution.number, salt: c.salt, signature: c.signature }),
  ).toString('base64');
}
