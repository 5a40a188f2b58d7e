// Solves one ALTCHA challenge off the main thread (altcha-lib's SHA-256 search).
import { solveChallenge } from 'altcha-lib/v1';

interface Work {
  readonly challenge: string;
  readonly salt: string;
  readonly algorithm: string;
  readonly max: number;
}
const scope = self as unknown as { onmessage: ((event: MessageEvent<Work>) => void) | null; postMessage(message: unknown): void };

scope.onmessage = (event) => {
  const { challenge, salt, algorithm, max } = event.data;
  void solveChallenge(challenge, salt, algorithm, max).promise.then(
    (solution) => scope.postMessage(solution === null ? { error: 'no solution' } : { number: solution.number, took: solution.took }),
    (error: unknown) => scope.postMessage({ error: String(error) }),
  );
};
