/** Creates and opens the demo election through the public API (idempotent). */
export async function ensureDemoElection(gateway: string): Promise<void> {
  const post = async (path: string, body: unknown, token?: string) =>
    fetch(`${gateway}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  const tokenResponse = await post('/v1/dev/token', { userId: 'demo-admin', role: 'admin' });
  const { token } = (await tokenResponse.json()) as { token: string };
  const created = await post(
    '/v1/elections',
    {
      id: 'demo',
      title: 'Best pet of the night',
      options: [
        { id: 'cats', label: 'Cats' },
        { id: 'dogs', label: 'Dogs' },
        { id: 'parrots', label: 'Parrots' },
      ],
      challenge: 'pow', // the page solves it in the background (README "Proof-of-work")
    },
    token,
  );
  if (created.status !== 201 && created.status !== 409) throw new Error(`demo election: ${created.status} ${await created.text()}`);
  const opened = await post('/v1/elections/demo/open', {}, token);
  if (opened.status !== 200 && opened.status !== 409) throw new Error(`demo open: ${opened.status} ${await opened.text()}`);
}
